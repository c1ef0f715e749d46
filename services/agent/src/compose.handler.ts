import {
  JobSubjects,
  masterMediaOf,
  type ComposedJob,
  type ComposeJob,
} from '@media-vault/contracts';
import { FfprobeUnreadableError, type FfmpegRunner } from '@media-vault/media-tools';
import { publishJob, type JobContext, type NatsConnection } from '@media-vault/service-kit';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { masterFileName, partialPathOf } from './download-files.js';

export interface ComposeHandlerDeps {
  readonly nc: NatsConnection;
  readonly ffmpeg: FfmpegRunner;
  /** This agent: a job addressed to another is not this agent's to act on. */
  readonly agent: string;
  /** The only folder a compose step may read, remove or rename files in. */
  readonly downloadDir: string;
}

/**
 * Why a compose job is not one this agent's own fetch step could have sent, or undefined when it
 * is. Its files must be exactly the ones the fetch step uses for that download: the partial in
 * the download's work folder and a master name directly in the download folder. Anything else
 * (a forged or corrupted job naming the vault, a key, a file elsewhere) is not touched.
 */
export function foreignComposeJob(
  job: ComposeJob,
  own: { readonly agent: string; readonly downloadDir: string },
): string | undefined {
  if (job.agent !== own.agent) return `addressed to agent ${job.agent}`;
  const downloads = resolve(own.downloadDir);
  if (resolve(job.partialPath) !== partialPathOf(downloads, job.downloadTaskId)) {
    return 'its partial file is not the one this download decrypts into';
  }
  const final = resolve(job.finalPath);
  if (dirname(final) !== downloads || masterFileName(basename(final)) !== basename(final)) {
    return 'its final name is not a file of the download folder';
  }
  return undefined;
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
 * never removed, since it may be the user's. The verdict goes out on jobs.ipfs.<agent>.composed,
 * so a crash between verifying and reporting loses neither.
 */
export function composeHandler(deps: ComposeHandlerDeps) {
  async function verify(
    job: ComposeJob,
    path: string,
    ctx: JobContext,
  ): Promise<string | undefined> {
    // The reason travels to the platform (through JOBS and the task's status 9), which must
    // learn nothing of the plaintext: no digest, size or media reading in it. The details stay
    // in this worker's log, on the machine that holds the file.
    const { size } = await stat(path);
    if (size !== job.size) {
      ctx.log.warn({ size, expected: job.size }, 'composed file size differs');
      return 'the composed file is not the size sealing recorded';
    }
    const sha256 = await sha256Of(path, () => ctx.working());
    if (sha256 !== job.sha256) {
      ctx.log.warn({ sha256, expected: job.sha256 }, 'composed file digest differs');
      return 'the composed file is not the bytes sealing recorded (sha256 differs)';
    }
    if (!job.media) return undefined;
    let found;
    try {
      found = masterMediaOf(await deps.ffmpeg.probe(path));
    } catch (err) {
      if (err instanceof FfprobeUnreadableError) return 'ffprobe cannot read the composed file';
      throw err;
    }
    if (JSON.stringify(found) !== JSON.stringify(job.media)) {
      ctx.log.warn({ found, expected: job.media }, 'composed file media differ');
      return 'ffprobe does not read the composed file as sealing recorded it';
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

  /** Logs and drops a job that is not this agent's own: no file touched, no verdict sent. */
  function refused(job: ComposeJob, log: JobContext['log']): boolean {
    const foreign = foreignComposeJob(job, deps);
    if (foreign !== undefined) {
      log.warn({ downloadTaskId: job.downloadTaskId, why: foreign }, 'compose job refused');
    }
    return foreign !== undefined;
  }

  async function handle(job: ComposeJob, ctx: JobContext): Promise<void> {
    if (refused(job, ctx.log)) return;
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
    if (foreignComposeJob(job, deps) !== undefined) return;
    await rm(job.partialPath, { force: true });
    await answer(job, reason);
  }

  return { handle, onGiveUp };
}
