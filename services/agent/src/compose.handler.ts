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
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  masterFileName,
  partialPathOf,
  readComposePlan,
  type ComposePlan,
} from './download-files.js';

export interface ComposeHandlerDeps {
  readonly nc: NatsConnection;
  readonly ffmpeg: FfmpegRunner;
  /** This agent: a job addressed to another is not this agent's to act on. */
  readonly agent: string;
  /** The only folder a compose step reads, removes or renames files in. */
  readonly downloadDir: string;
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

/** The files of one download, all derived from this agent's own folder and plan. */
interface ComposeFiles {
  readonly plan: ComposePlan;
  readonly partial: string;
  readonly final: string;
}

/**
 * jobs.media.<agent>.compose: a decrypted master is checked against what sealing recorded, its
 * whole-file sha256 (streamed) and its ffprobe container, streams and duration, and only then
 * renamed to its final name. The job names only the download: the files and what they must be
 * come from the plan the fetch step wrote on this machine, so nothing on the bus can point the
 * step at a path. A partial file that fails is removed, so nothing unverified ever takes the
 * master's name; a file already at the final name (a rerun after the rename) is only verified,
 * never removed, since it may be the user's. The verdict goes out on jobs.ipfs.<agent>.composed,
 * so a crash between verifying and reporting loses neither.
 */
export function composeHandler(deps: ComposeHandlerDeps) {
  /** The download's files, or undefined for a job that is not one of this agent's downloads. */
  async function filesOf(
    job: ComposeJob,
    log?: JobContext['log'],
  ): Promise<ComposeFiles | undefined> {
    const drop = (why: string) => {
      log?.warn({ downloadTaskId: job.downloadTaskId, why }, 'compose job dropped');
      return undefined;
    };
    if (job.agent !== deps.agent) return drop(`addressed to agent ${job.agent}`);
    const plan = await readComposePlan(deps.downloadDir, job.downloadTaskId);
    if (!plan) return drop('no download of this agent is waiting for it');
    if (masterFileName(plan.finalName) !== plan.finalName) return drop('its plan names no file');
    return {
      plan,
      partial: partialPathOf(deps.downloadDir, job.downloadTaskId),
      final: join(deps.downloadDir, plan.finalName),
    };
  }

  async function verify(
    plan: ComposePlan,
    path: string,
    ctx: JobContext,
  ): Promise<string | undefined> {
    // The reason travels to the platform (through JOBS and the task's status 9), which must
    // learn nothing of the plaintext: no digest, size or media reading in it. The details stay
    // in this worker's log, on the machine that holds the file.
    const { size } = await stat(path);
    if (size !== plan.size) {
      ctx.log.warn({ size, expected: plan.size }, 'composed file size differs');
      return 'the composed file is not the size sealing recorded';
    }
    const sha256 = await sha256Of(path, () => ctx.working());
    if (sha256 !== plan.sha256) {
      ctx.log.warn({ sha256, expected: plan.sha256 }, 'composed file digest differs');
      return 'the composed file is not the bytes sealing recorded (sha256 differs)';
    }
    if (!plan.media) return undefined;
    let found;
    try {
      found = masterMediaOf(await deps.ffmpeg.probe(path));
    } catch (err) {
      if (err instanceof FfprobeUnreadableError) return 'ffprobe cannot read the composed file';
      throw err;
    }
    if (JSON.stringify(found) !== JSON.stringify(plan.media)) {
      ctx.log.warn({ found, expected: plan.media }, 'composed file media differ');
      return 'ffprobe does not read the composed file as sealing recorded it';
    }
    return undefined;
  }

  async function answer(
    job: ComposeJob,
    finalPath: string,
    reason: string | undefined,
  ): Promise<void> {
    const verdict: ComposedJob = {
      id: composedMsgId(job),
      agent: job.agent,
      downloadTaskId: job.downloadTaskId,
      ok: reason === undefined,
      finalPath,
      ...(reason === undefined ? {} : { reason }),
    };
    await publishJob(deps.nc, JobSubjects.composed(job.agent), verdict, verdict.id);
  }

  async function handle(job: ComposeJob, ctx: JobContext): Promise<void> {
    const files = await filesOf(job, ctx.log);
    if (!files) return;
    const { plan, partial, final } = files;
    // A rerun after the rename finds the master at its final name: verify that instead.
    const path = (await exists(partial)) ? partial : (await exists(final)) ? final : undefined;
    const reason =
      path === undefined ? 'the decrypted file is gone' : await verify(plan, path, ctx);
    if (reason === undefined && path === partial) await rename(path, final);
    if (reason !== undefined) await rm(partial, { force: true });
    await answer(job, final, reason);
    if (reason === undefined) ctx.log.info({ path: final }, 'composed master verified');
    else ctx.log.warn({ reason, downloadTaskId: job.downloadTaskId }, 'composed master rejected');
  }

  async function onGiveUp(job: ComposeJob, reason: string): Promise<void> {
    const files = await filesOf(job);
    if (!files) return;
    await rm(files.partial, { force: true });
    await answer(job, files.final, reason);
  }

  return { handle, onGiveUp };
}
