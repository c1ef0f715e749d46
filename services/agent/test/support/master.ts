import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Master {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A video master made by ffmpeg from its test sources: H.264 with noise (so it is large and does
 * not compress away, about 4 MB a second) and an AAC tone.
 */
export async function makeMaster(path: string, seconds: number): Promise<Master> {
  await mkdir(dirname(path), { recursive: true });
  await run('ffmpeg', [
    ...['-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440'],
    ...['-t', String(seconds), '-vf', 'noise=alls=40:allf=t'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-c:a', 'aac', '-shortest'],
    path,
  ]);
  return { path, size: (await stat(path)).size, sha256: await sha256File(path) };
}
