import { connectAs, JobTap, natsAccess, natsEnv } from '@media-vault/test-harness';
import {
  AssetJobSubjects,
  IpfsAddJob,
  JobConsumers,
  MergedJob,
  type MergeJob,
} from '@media-vault/contracts';
import { makeTempDir, uniqueName, waitFor, type TempDir } from '@media-vault/test-harness';
import { jetstream } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { Value } from '@sinclair/typebox/value';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadMediaWorkerConfig } from '../src/config.js';
import { ARCHIVE_LOUDNESS } from '../src/merge/renditions.js';
import { startMediaWorker, type MediaWorker } from '../src/media-worker.js';
import {
  ffprobe,
  integratedLoudness,
  makeAudioFixtures,
  type AudioFixtures,
} from './support/audio.js';
import { sha256, stageUpload } from './support/uploads.js';

const servers = inject('servers');
const nats = natsAccess(servers);

const CHUNK = 16 * 1024;

describe('media worker merge jobs', () => {
  let nc: NatsConnection;
  let worker: MediaWorker;
  let tap: JobTap;
  let audio: AudioFixtures;
  let fixtures: TempDir;
  let workDir: TempDir;
  const filesBucket = uniqueName('files');
  const chunksBucket = uniqueName('chunks');

  beforeAll(async () => {
    fixtures = await makeTempDir('media-fixtures');
    workDir = await makeTempDir('media-work');
    audio = await makeAudioFixtures(fixtures.path);
    nc = await connectAs(nats);
    worker = await startMediaWorker(
      loadMediaWorkerConfig({
        ...(await natsEnv(
          nats,
          { kind: 'media-worker' },
          { buckets: { chunks: chunksBucket, files: filesBucket } },
        )),
        HEALTH_PORT: '0',
        LOG_LEVEL: 'silent',
        TMP_DIR: workDir.path,
        FILES_BUCKET: filesBucket,
        // Bucket names and NATS permissions are what these tests are about: the NATS adapter.
        OBJECT_STORE: 'nats',
      }),
    );
    tap = await JobTap.start(nc, 'test-after-merge', [
      AssetJobSubjects.ipfsAdd,
      AssetJobSubjects.merged,
    ]);
  });

  afterAll(async () => {
    await tap?.stop();
    await worker?.close();
    await nc?.close();
    await fixtures?.remove();
    await workDir?.remove();
  });

  const publishMerge = (job: MergeJob, msgId = job.id) =>
    jetstream(nc).publish(AssetJobSubjects.merge, JSON.stringify(job), { msgID: msgId });

  const transitBytes = async (object: string): Promise<Uint8Array> => {
    const bytes = await (await new Objm(nc).open(filesBucket)).getBlob(object);
    if (!bytes) throw new Error(`${object} is not in ${filesBucket}`);
    return bytes;
  };

  /** Temp files go in `finally`, after the next job is out: wait for the directory to empty. */
  const noTempFilesLeft = () =>
    waitFor('temp files to be removed', async () => (await readdir(workDir.path)).length === 0);

  const failureOf = async (job: MergeJob): Promise<string> => {
    const out = await tap.next(AssetJobSubjects.merged, job.id);
    expect(out.msgId).toBe(`${job.id}:merged`);
    expect(Value.Check(MergedJob, out.body)).toBe(true);
    const result = out.body as MergedJob;
    expect(result).toMatchObject({ id: job.id, assetId: job.assetId, ok: false });
    expect(tap.of(AssetJobSubjects.ipfsAdd, job.id)).toEqual([]);
    await noTempFilesLeft();
    return result.ok ? '' : result.reason;
  };

  it('merges an mp3 from its chunks, renders archive and live files and hands all three on', async () => {
    const job = await stageUpload(nc, audio.mp3, CHUNK, chunksBucket);
    expect(job.chunks.length).toBeGreaterThan(4);
    await publishMerge(job);

    const out = await tap.next(AssetJobSubjects.ipfsAdd, job.id);
    expect(out.msgId).toBe(`${job.id}:ipfs-add`);
    expect(Value.Check(IpfsAddJob, out.body)).toBe(true);
    const next = out.body as IpfsAddJob;
    expect(next).toMatchObject({ assetId: job.assetId, bucket: filesBucket });
    expect(next.probe).toMatchObject({
      formatName: 'mp3',
      codec: 'mp3',
      bitrate: 192_000,
      sampleRate: 48_000,
      channels: 2,
    });
    expect(Math.abs(next.probe.durationMs - 5_000)).toBeLessThan(100);
    expect(next.files.map((f) => f.file)).toEqual([0, 1, 2]);
    const [original, archive, live] = next.files;

    // File 0 is the upload itself, byte for byte.
    const originalBytes = await transitBytes(original!.object);
    expect(sha256(originalBytes)).toBe(job.hash);
    expect(original).toMatchObject({
      size: audio.mp3.length,
      bitrate: 192_000,
      sampleRate: 48_000,
    });

    // The renditions, checked by ffprobe and ffmpeg here rather than by the worker's own probing.
    const archivePath = join(fixtures.path, 'archive.mp3');
    const livePath = join(fixtures.path, 'live.mp3');
    await writeFile(archivePath, await transitBytes(archive!.object));
    await writeFile(livePath, await transitBytes(live!.object));
    const [archiveProbe, liveProbe, archiveLoudness, sourceLoudness] = await Promise.all([
      ffprobe(archivePath),
      ffprobe(livePath),
      integratedLoudness(archivePath),
      integratedLoudness(join(fixtures.path, 'tone.mp3')),
    ]);

    expect(archiveProbe).toMatchObject({
      formatName: 'mp3',
      codec: 'mp3',
      bitrate: 320_000,
      sampleRate: 48_000,
      channels: 2,
    });
    expect(archive).toMatchObject({ bitrate: 320_000, sampleRate: 48_000 });
    expect(sourceLoudness).toBeGreaterThan(-15);
    expect(Math.abs(archiveLoudness - ARCHIVE_LOUDNESS.integrated)).toBeLessThanOrEqual(1);

    expect(liveProbe).toMatchObject({
      formatName: 'mp3',
      codec: 'mp3',
      bitrate: 128_000,
      sampleRate: 44_100,
      channels: 2,
    });
    expect(live).toMatchObject({ bitrate: 128_000, sampleRate: 44_100 });

    // Constant bitrate: every frame the same size, give or take the padding byte.
    for (const probed of [archiveProbe, liveProbe]) {
      expect(probed.packetSizes.length).toBeGreaterThan(100);
      expect(Math.max(...probed.packetSizes) - Math.min(...probed.packetSizes)).toBeLessThanOrEqual(
        1,
      );
    }
    expect(tap.of(AssetJobSubjects.merged, job.id)).toEqual([]);
    await noTempFilesLeft();
  });

  it('rejects an upload whose bytes do not match the declared hash', async () => {
    const job = await stageUpload(nc, audio.mp3, CHUNK, chunksBucket);
    const declared = sha256(audio.noise);
    await publishMerge({ ...job, hash: declared });
    expect(await failureOf(job)).toBe(
      `hash mismatch: expected ${declared} (${audio.mp3.length} bytes), ` +
        `got ${job.hash} (${audio.mp3.length} bytes)`,
    );
  });

  it('rejects a WAV file named .mp3, saying what ffprobe found', async () => {
    const job = await stageUpload(nc, audio.wavNamedMp3, CHUNK, chunksBucket);
    await publishMerge(job);
    expect(await failureOf(job)).toBe(
      'not an mp3: ffprobe found format wav with audio codec pcm_s16le at 44100 Hz',
    );
  });

  it('rejects bytes that are no media at all', async () => {
    const job = await stageUpload(nc, audio.noise, CHUNK, chunksBucket);
    await publishMerge(job);
    expect(await failureOf(job)).toBe(
      'not an mp3: ffprobe found no readable media (Invalid data found when processing input)',
    );
  });

  it('rejects an upload with a chunk missing from the store', async () => {
    const job = await stageUpload(nc, audio.mp3, CHUNK, chunksBucket);
    const gone = job.chunks.find((c) => c.index === 1)!;
    await (await new Objm(nc).open(job.bucket)).delete(gone.object);
    await publishMerge(job);
    expect(await failureOf(job)).toBe(
      `chunk 1 is missing: no object ${gone.object} in bucket ${job.bucket}`,
    );
  });

  it('rejects a job naming a bucket its NATS user may not read, at once', async () => {
    const job = await stageUpload(nc, audio.mp3, CHUNK, chunksBucket);
    const bucket = uniqueName('elsewhere');
    await publishMerge({ ...job, bucket });
    expect(await failureOf(job)).toBe(`bucket ${bucket} is not readable by this worker`);
  });

  it('hands a job on once when it is handled twice', async () => {
    const job = await stageUpload(nc, audio.mp3, CHUNK, chunksBucket);
    // Two deliveries of one job, as after a crash between publishing the next step and the ack.
    await publishMerge(job, `${job.id}#1`);
    await publishMerge(job, `${job.id}#2`);
    await tap.next(AssetJobSubjects.ipfsAdd, job.id);
    await tap.settled([JobConsumers.mediaMerge.name]);

    expect(tap.of(AssetJobSubjects.ipfsAdd, job.id)).toHaveLength(1);
    expect(tap.of(AssetJobSubjects.merged, job.id)).toEqual([]);
    const objects = await (await new Objm(nc).open(filesBucket)).list();
    const ours = objects.filter((o) => o.name.startsWith(`${job.assetId}/${job.id}/`));
    expect(ours.map((o) => o.name).sort()).toEqual(
      [0, 1, 2].map((f) => `${job.assetId}/${job.id}/${f}`),
    );
    await noTempFilesLeft();
  });
});
