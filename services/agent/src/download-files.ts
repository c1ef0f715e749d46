import type { FetchJob, MasterMedia } from '@media-vault/contracts';
import { ignoreEnded } from '@media-vault/task-client';
import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
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

/**
 * What the compose step verifies a decrypted master against, and the name it then gets: written
 * by the fetch step, on this machine, next to the partial file, so the compose job that follows
 * names only the download.
 */
export interface ComposePlan {
  /** A file name directly in the download folder (see `masterFileName`). */
  readonly finalName: string;
  readonly size: number;
  readonly sha256: string;
  readonly media: MasterMedia | null;
}

const composePlanPath = (downloadDir: string, downloadTaskId: number): string =>
  join(workDirOf(downloadDir, downloadTaskId), 'compose.json');

/** Written whole or not at all: a crash mid-write leaves no half plan for a rerun to trust. */
export async function writeComposePlan(
  downloadDir: string,
  downloadTaskId: number,
  plan: ComposePlan,
): Promise<void> {
  const path = composePlanPath(downloadDir, downloadTaskId);
  const temporary = `${path}.${randomUUID()}`;
  await writeFile(temporary, JSON.stringify(plan), { mode: 0o600 });
  await rename(temporary, path);
}

/** The plan of a download this agent is composing, or undefined when there is none. */
export async function readComposePlan(
  downloadDir: string,
  downloadTaskId: number,
): Promise<ComposePlan | undefined> {
  try {
    return JSON.parse(
      await readFile(composePlanPath(downloadDir, downloadTaskId), 'utf8'),
    ) as ComposePlan;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

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
