import type { FetchJob } from '@media-vault/contracts';
import { ignoreEnded } from '@media-vault/task-client';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from './agent-context.js';

/** Where one download's intermediate files live (the public block copy, the partial master). */
export const workDirOf = (downloadDir: string, downloadTaskId: number): string =>
  join(downloadDir, '.partial', `download-${downloadTaskId}`);

/** A download's intermediate files and the name the master finishes under. */
export function downloadPaths(
  downloadDir: string,
  job: Pick<FetchJob, 'downloadTaskId' | 'sourceName'>,
) {
  const work = workDirOf(downloadDir, job.downloadTaskId);
  return {
    work,
    publicBlock: join(work, 'public.block'),
    partial: partialPathOf(downloadDir, job.downloadTaskId),
    final: join(downloadDir, masterFileName(job.sourceName)),
  };
}

/** The decrypted master's name before it is verified: one per download, in its work folder. */
export const partialPathOf = (downloadDir: string, downloadTaskId: number): string =>
  join(workDirOf(downloadDir, downloadTaskId), 'master.partial');

/** A source's name as a file name in the download folder: no separator, no leading dot. */
export const masterFileName = (sourceName: string): string =>
  sourceName.replace(/[/\\\0]/g, '_').replace(/^\.+/, '_') || 'master';

/** Drops a download's intermediate files, which neither outcome needs any more. */
export const removeWork = (agent: AgentContext, downloadTaskId: number): Promise<void> =>
  rm(workDirOf(agent.settings.downloadDir, downloadTaskId), { recursive: true, force: true });

/** Ends a download with a last report (one that has already ended keeps its own) and cleans up. */
export async function finishDownload(
  agent: AgentContext,
  downloadTaskId: number,
  report: { status: number; percent?: number; reason?: string },
): Promise<void> {
  await agent.api.reportDownload(downloadTaskId, report).then(() => undefined, ignoreEnded);
  await removeWork(agent, downloadTaskId);
}
