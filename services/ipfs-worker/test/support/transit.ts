import type { IpfsAddJob } from '@media-vault/contracts';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MergedFile {
  readonly file: 0 | 1 | 2;
  readonly bytes: Uint8Array;
  readonly bitrate: number;
  readonly sampleRate: number;
}

/**
 * What the media worker leaves for this one: an original and its two renditions, made by ffmpeg.
 * The original is long enough to span several object store messages and IPFS blocks.
 */
export async function makeMergedFiles(dir: string): Promise<MergedFile[]> {
  const tone = '-f lavfi -i sine=frequency=330:duration=25 -ac 2 -c:a libmp3lame';
  const specs = [
    { file: 0, args: `${tone} -b:a 192k -ar 48000`, bitrate: 192_000, sampleRate: 48_000 },
    { file: 1, args: `${tone} -b:a 320k -ar 48000`, bitrate: 320_000, sampleRate: 48_000 },
    { file: 2, args: `${tone} -b:a 128k -ar 44100`, bitrate: 128_000, sampleRate: 44_100 },
  ] as const;
  return Promise.all(
    specs.map(async ({ file, args, bitrate, sampleRate }) => {
      const path = join(dir, `file-${file}.mp3`);
      await run('ffmpeg', ['-v', 'error', '-y', ...args.split(' '), path]);
      return { file, bytes: new Uint8Array(await readFile(path)), bitrate, sampleRate };
    }),
  );
}

/**
 * Puts the files in the transit bucket (the worker's NATS user may read only the one it is given)
 * and returns the job that names them.
 */
export async function stageTransit(
  nc: NatsConnection,
  files: MergedFile[],
  bucket: string,
): Promise<IpfsAddJob> {
  const objm = new Objm(nc);
  const store = await objm.open(bucket).catch(() => objm.create(bucket));
  const jobId = randomUUID();
  const assetId = String(Date.now());
  const staged: IpfsAddJob['files'] = [];
  for (const f of files) {
    const object = `${assetId}/${jobId}/${f.file}`;
    await store.putBlob({ name: object }, f.bytes);
    staged.push({
      file: f.file,
      object,
      size: f.bytes.length,
      bitrate: f.bitrate,
      sampleRate: f.sampleRate,
    });
  }
  return {
    id: jobId,
    assetId,
    bucket,
    probe: {
      formatName: 'mp3',
      codec: 'mp3',
      durationMs: 25_000,
      bitrate: 192_000,
      sampleRate: 48_000,
      channels: 2,
    },
    files: staged,
  };
}
