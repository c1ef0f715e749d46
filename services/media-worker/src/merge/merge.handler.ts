import {
  AssetJobSubjects,
  type AssetFileKind,
  type IpfsAddJob,
  type MergedJob,
  type MergeJob,
} from '@media-vault/contracts';
import { probeMp3, probeOutput, type FfmpegRunner } from '@media-vault/media-tools';
import {
  PermanentJobError,
  publishJob,
  type JobContext,
  type NatsConnection,
} from '@media-vault/service-kit';
import type { ObjectStorePort } from '@media-vault/object-store';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { renditions } from './renditions.js';
import { assembleChunks, openJobBucket } from './chunk-assembly.js';
import { putFile, transitObjectName } from './transit-files.js';

export interface MergeHandlerDeps {
  readonly nc: NatsConnection;
  /** The staging buckets jobs name (the chunks of a merge). */
  readonly buckets: { open(bucket: string): Promise<ObjectStorePort> };
  readonly ffmpeg: FfmpegRunner;
  /** Bucket the merged files are written to; named in the job for the ipfs worker. */
  readonly files: { readonly bucket: string; readonly store: ObjectStorePort };
  readonly tmpDir: string;
}

interface LocalFile {
  readonly file: AssetFileKind;
  readonly path: string;
  readonly bitrate: number;
  readonly sampleRate: number;
}

/** Message ids of the next step: one per job, so a rerun of the same job is dropped by JOBS. */
export const nextStepMsgId = {
  ipfsAdd: (jobId: string) => `${jobId}:ipfs-add`,
  merged: (jobId: string) => `${jobId}:merged`,
} as const;

/**
 * jobs.media.merge: chunks → one file checked against the declared hash and size → ffprobe says
 * mp3 → archive and live renditions → all three in the files bucket → jobs.ipfs.add.
 * Bad input is a PermanentJobError; everything else is retried by the job runner. Rerunning a job
 * rewrites the same objects and publishes under the same message id, so it is safe at any point.
 */
export function mergeHandler(deps: MergeHandlerDeps) {
  const { nc, buckets, ffmpeg, files, tmpDir } = deps;

  async function handle(job: MergeJob, ctx: JobContext): Promise<void> {
    const dir = await mkdtemp(join(tmpDir, 'merge-'));
    try {
      // No extension: ffprobe falls back on a file's name when its content says nothing.
      const original = join(dir, 'original');
      const store = await openJobBucket(buckets, job.bucket);
      const merged = await assembleChunks({ store, bucket: job.bucket }, job.chunks, original, () =>
        ctx.working(),
      );
      if (merged.sha256 !== job.hash.toLowerCase() || merged.size !== job.size) {
        throw new PermanentJobError(
          `hash mismatch: expected ${job.hash.toLowerCase()} (${job.size} bytes), ` +
            `got ${merged.sha256} (${merged.size} bytes)`,
        );
      }

      const verdict = await probeMp3(ffmpeg, original);
      if (!verdict.mp3) throw new PermanentJobError(`not an mp3: ffprobe found ${verdict.found}`);
      const { probe } = verdict;
      ctx.log.info({ assetId: job.assetId, probe }, 'merged upload is an mp3');

      const local: LocalFile[] = [
        { file: 0, path: original, bitrate: probe.bitrate, sampleRate: probe.sampleRate },
      ];
      for (const rendition of renditions) {
        const path = join(dir, `file-${rendition.file}`);
        await ffmpeg.run(rendition.apply(ffmpeg.command(original), probe), path, {
          onStart: (commandLine) => ctx.log.debug({ commandLine }, `${rendition.name} rendition`),
          onProgress: () => ctx.working(),
        });
        local.push({ file: rendition.file, path, ...(await probeOutput(ffmpeg, path)) });
        ctx.working();
      }

      const transit: IpfsAddJob['files'] = [];
      for (const f of local) {
        const object = transitObjectName(job.assetId, job.id, f.file);
        const info = await putFile(files.store, object, f.path);
        transit.push({
          file: f.file,
          object,
          size: info.size,
          bitrate: f.bitrate,
          sampleRate: f.sampleRate,
        });
        ctx.working();
      }
      const next: IpfsAddJob = {
        id: job.id,
        assetId: job.assetId,
        bucket: files.bucket,
        probe,
        files: transit,
      };
      await publishJob(nc, AssetJobSubjects.ipfsAdd, next, nextStepMsgId.ipfsAdd(job.id));
      ctx.log.info({ assetId: job.assetId, files: transit }, 'merged; handed to the ipfs worker');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** A merge that will not succeed goes straight back to the assets service with the reason. */
  async function onGiveUp(job: MergeJob, reason: string): Promise<void> {
    const result: MergedJob = { id: job.id, assetId: job.assetId, ok: false, reason };
    await publishJob(nc, AssetJobSubjects.merged, result, nextStepMsgId.merged(job.id));
  }

  return { handle, onGiveUp };
}
