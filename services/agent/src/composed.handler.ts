import { TaskStatus, type ComposedJob } from '@media-vault/contracts';
import type { JobContext } from '@media-vault/service-kit';
import type { AgentContext } from './agent-context.js';
import { recordComposed } from './audit-trail.js';
import { finishDownload, removeWork } from './download-files.js';

/**
 * jobs.ipfs.<agent>.composed: the compose step's verdict on a decrypted master. The agent reports
 * the download done (8) or failed (9) and drops the download's intermediate files either way.
 * Reporting a status the task already has changes nothing, so a redelivery is harmless.
 */
export function composedHandler(agent: AgentContext) {
  return async function composed(job: ComposedJob, ctx: JobContext): Promise<void> {
    // A task that has already ended (a verdict delivered again) keeps its outcome.
    const task = await agent.api.getDownloadTask(job.downloadTaskId);
    if (task.status === TaskStatus.done || task.status === TaskStatus.error) {
      await removeWork(agent, job.downloadTaskId);
    } else {
      await recordComposed(agent, job, task);
      await finishDownload(
        agent,
        job.downloadTaskId,
        job.ok
          ? { status: TaskStatus.done, percent: 100 }
          : {
              status: TaskStatus.error,
              reason: job.reason ?? 'the composed master failed its checks',
            },
      );
    }
    if (job.ok) {
      ctx.log.info({ downloadTaskId: job.downloadTaskId, path: job.finalPath }, 'master composed');
    } else {
      ctx.log.warn({ downloadTaskId: job.downloadTaskId, reason: job.reason }, 'master rejected');
    }
  };
}
