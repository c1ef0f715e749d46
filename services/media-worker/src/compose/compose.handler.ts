import {
  JobSubjects,
  masterMediaOf,
  type ComposedJob,
  type ComposeJob,
} from '@media-vault/contracts';
import { publishJob, type JobContext, type NatsConnection } from '@media-vault/service-kit';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { FfprobeUnreadableError, type FfmpegRunner } from '../ffmpeg/ffmpeg-runner.js';

export interface ComposeHandlerDeps {
  readonly nc: NatsConnection;
  readonly ffmpeg: FfmpegRunner;
}

const exists = (path: string) =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

async function sha256Of(path: string, onProgress: () => void): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      hash.update(chunk);
      onProgress();
    }
  });
  return hash.digest('hex');
}

/** The verdict's message id: one per compose job, so a rerun does not answer twice. */
export const composedMsgId = (job: ComposeJob): string => `${job.id}:composed`;

/**
 * jobs.media.<agent>.compose: a decrypted master is checked against what sealing recorded, its whole-file
 * sha256 (streamed) and its ffprobe container, streams and duration, and only then renamed to
 * its final name. A partial file that fails is removed, so nothing unverified ever takes the
 * master's name; a file already at the final name (a rerun after the rename) is only verified,
 * never removed, since it may be the user's. The agent hears the verdict on
 * jobs.ipfs.<agent>.composed.
 */
export function composeHandler(deps: ComposeHandlerDeps) {
  async function verify(
    job: ComposeJob,
    path: string,
    ctx: JobContext,
  ): Promise<string | undefined> {
    const { size } = await stat(path);
    if (size !== job.size) return `the composed file has ${size} bytes, not ${job.size}`;
    const sha256 = await sha256Of(path, () => ctx.working());
    if (sha256 !== job.sha256) return `the composed file has sha256 ${sha256}, not ${job.sha256}`;
    if (!job.media) return undefined;
    let found;
    try {
      found = masterMediaOf(await deps.ffmpeg.probe(path));
    } catch (err) {
      if (err instanceof FfprobeUnreadableError) return 'ffprobe cannot read the composed file';
      throw err;
    }
    const expected = JSON.stringify(job.media);
    if (JSON.stringify(found) !== expected) {
      return `ffprobe sees ${JSON.stringify(found)}, sealing recorded ${expected}`;
    }
    return undefined;
  }

  async function answer(job: ComposeJob, reason: string | undefined): Promise<void> {
    const verdict: ComposedJob = {
      id: composedMsgId(job),
      agent: job.agent,
      downloadTaskId: job.downloadTaskId,
      ok: reason === undefined,
      finalPath: job.finalPath,
      ...(reason === undefined ? {} : { reason }),
    };
    await publishJob(deps.nc, JobSubjects.composed(job.agent), verdict, verdict.id);
  }

  async function handle(job: ComposeJob, ctx: JobContext): Promise<void> {
    // A rerun after the rename finds the master at its final name: verify that instead.
    const path = (await exists(job.partialPath))
      ? job.partialPath
      : (await exists(job.finalPath))
        ? job.finalPath
        : undefined;
    const reason = path === undefined ? 'the decrypted file is gone' : await verify(job, path, ctx);
    if (reason === undefined && path === job.partialPath) await rename(path, job.finalPath);
    if (reason !== undefined) await rm(job.partialPath, { force: true });
    await answer(job, reason);
    if (reason === undefined) ctx.log.info({ path: job.finalPath }, 'composed master verified');
    else ctx.log.warn({ reason, downloadTaskId: job.downloadTaskId }, 'composed master rejected');
  }

  async function onGiveUp(job: ComposeJob, reason: string): Promise<void> {
    await rm(job.partialPath, { force: true });
    await answer(job, reason);
  }

  return { handle, onGiveUp };
}
