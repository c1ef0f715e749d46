import { TaskStatus, type ComposedJob } from '@media-vault/contracts';
import type { JobContext } from '@media-vault/service-kit';
import { rm } from 'node:fs/promises';
import type { AgentContext } from './agent-context.js';
import { downloadPaths } from './fetch.handler.js';

/**
 * jobs.ipfs.<agent>.composed: the media worker's verdict on a decrypted master. The agent reports
 * the download done (8) or failed (9) and drops the download's intermediate files either way.
 * Reporting a status the task already has changes nothing, so a redelivery is harmless.
 */
export function composedHandler(agent: AgentContext) {
  return async function composed(job: ComposedJob, ctx: JobContext): Promise<void> {
    const task = await agent.api.getDownload(job.downloadTaskId);
    if (task.status !== TaskStatus.done && task.status !== TaskStatus.error) {
      await agent.api.reportDownload(
        job.downloadTaskId,
        job.ok
          ? { status: TaskStatus.done, percent: 100 }
          : {
              status: TaskStatus.error,
              reason: job.reason ?? 'the composed master failed its checks',
            },
      );
    }
    const { work } = downloadPaths(agent.settings.downloadDir, {
      downloadTaskId: job.downloadTaskId,
      sourceName: '',
    });
    await rm(work, { recursive: true, force: true });
    if (job.ok)
      ctx.log.info({ downloadTaskId: job.downloadTaskId, path: job.finalPath }, 'master composed');
    else
      ctx.log.warn({ downloadTaskId: job.downloadTaskId, reason: job.reason }, 'master rejected');
  };
}
