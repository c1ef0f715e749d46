import {
  CommandSubjects as S,
  TaskStatus,
  VaultError,
  type CreateDownloadTaskQuery,
  type DownloadTask,
  type Principal,
  type UpdateDownloadTaskRequest,
} from '@media-vault/contracts';
import { enqueueEvents, type OutboxEvent } from '@media-vault/service-kit';
import { findAgent } from '../agents/agent.repository.js';
import { isUniqueViolation, type Db } from '../db/access.js';
import type { TasksDatabase } from '../db/index.js';
import { authorize, authorizeAgent } from '../permissions.js';
import { applyDownloadReport, reopensDownload } from './block-report.rules.js';
import {
  findOpenDownload,
  insertDownloadTask,
  updateDownloadTask,
} from './download-task.repository.js';
import { downloadJobsOf, taskEvent } from './master.events.js';
import {
  downloadEventRecord,
  privateEventRecord,
  toDownloadTask,
  type DownloadView,
  type TaskChange,
} from './master.mapper.js';
import {
  authorizedSource,
  downloadAgentsOf,
  findDownloadView,
  signedGrantOf,
  uploadOfSource,
} from './master.reads.js';
import { insertPrivateTask } from './private-task.repository.js';
import { assertRetryAllowed, assertTransition, isRetry } from './status-machine.rules.js';

/** Downloads of a source by its owner or a grant holder, each with the private upload it needs. */
export class Downloads {
  constructor(private readonly db: TasksDatabase) {}

  /**
   * Opens a download of a source for the caller, with the private upload task its owner must
   * answer. While the caller has an unfinished download of the source, that one is returned
   * instead: the source row is locked, so concurrent requests see each other's task.
   */
  async create(
    principal: Principal,
    query: CreateDownloadTaskQuery,
  ): Promise<TaskChange<DownloadTask>> {
    return this.db.transaction(async (tx) => {
      const source = await authorizedSource(tx, S.downloadCreate, principal, query.source_id, {
        lock: true,
      });
      const grant = await signedGrantOf(tx, source, principal.id);

      const open = await findOpenDownload(tx, principal.id, source.id);
      if (open) {
        const view = (await findDownloadView(tx, open.id))!;
        return { task: toDownloadTask(view), changed: false };
      }

      const { upload } = await uploadOfSource(tx, source);
      if (upload.status !== TaskStatus.done) {
        throw new VaultError(
          'conflict',
          `source ${source.id} is not ready to download: its public block upload is at status ${upload.status}, not 8`,
        );
      }
      const agent =
        query.agent === undefined
          ? undefined
          : authorizeAgent(
              S.downloadCreate,
              principal,
              query.agent,
              await findAgent(tx, query.agent),
            );

      const download = await insertDownloadTask(tx, {
        sourceId: source.id,
        userId: principal.id,
        agent: agent?.id ?? null,
      });
      const privateTask = await insertPrivateTask(tx, {
        downloadId: download.id,
        sourceId: source.id,
        userId: source.userId,
      });
      const view: DownloadView = { source, upload, download, privateTask };

      const agents = await downloadAgentsOf(tx, view);
      const outgoing: OutboxEvent[] = [
        taskEvent('download', downloadEventRecord(view), null),
        taskEvent('private', privateEventRecord(view), null),
        ...downloadJobsOf(view, agents, grant, { fetch: true, release: true }),
      ];
      await enqueueEvents(tx, outgoing);
      return { task: toDownloadTask(view), changed: true };
    });
  }

  async get(principal: Principal, id: number): Promise<DownloadTask> {
    const view = await findDownloadView(this.db, id);
    authorize(S.downloadGet, principal, { kind: 'download', id, ownerId: view?.download.userId });
    return toDownloadTask(view!);
  }

  /** A report from the downloading client: status and percent. */
  async update(
    principal: Principal,
    request: UpdateDownloadTaskRequest,
  ): Promise<TaskChange<DownloadTask>> {
    const { id, ...report } = request;
    try {
      return await this.db.transaction(async (tx) => {
        const view = await findDownloadView(tx, id, { lock: true });
        authorize(S.downloadUpdate, principal, {
          kind: 'download',
          id,
          ownerId: view?.download.userId,
        });
        const current = view!;
        const { download } = current;
        assertTransition('download', download.id, download.status, report.status);
        assertRetryAllowed('download', id, current.source, download.status, report.status);
        if (reopensDownload(download.status, report.status)) {
          await assertNoOtherOpen(tx, current);
        }
        const change = applyDownloadReport(download, report);
        if (!change) return { task: toDownloadTask(current), changed: false };
        const updated = await updateDownloadTask(tx, download.id, change);
        const next: DownloadView = { ...current, download: updated };
        const outgoing = [taskEvent('download', downloadEventRecord(next), download.status)];
        if (isRetry(download.status, report.status)) {
          // A retried download is fetched again by its agent; the key, if released, stays.
          const grant = await signedGrantOf(tx, next.source, download.userId);
          const agents = await downloadAgentsOf(tx, next);
          outgoing.push(...downloadJobsOf(next, agents, grant, { fetch: true, release: false }));
        }
        await enqueueEvents(tx, outgoing);
        return { task: toDownloadTask(next), changed: true };
      });
    } catch (err) {
      // Two retries of old tasks of one source racing each other: the index lets one through.
      if (isUniqueViolation(err)) {
        throw new VaultError(
          'conflict',
          `download task ${id} cannot be retried: another download of its source is open`,
        );
      }
      throw err;
    }
  }
}

/** A retried download (9→0) must not become a second unfinished download of its source. */
async function assertNoOtherOpen(db: Db, { download }: DownloadView): Promise<void> {
  const other = await findOpenDownload(db, download.userId, download.sourceId, download.id);
  if (other) {
    throw new VaultError(
      'conflict',
      `download task ${download.id} cannot go from ${download.status} to 0: download task ${other.id} of source ${download.sourceId} is still open`,
    );
  }
}
