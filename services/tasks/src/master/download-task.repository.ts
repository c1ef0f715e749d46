import {
  CommandSubjects as S,
  isFinishedStatus,
  TaskStatus,
  VaultError,
  type CreateDownloadTaskQuery,
  type DownloadTask,
  type Principal,
  type UpdateDownloadTaskRequest,
} from '@media-vault/contracts';
import { enqueueEvents, type OutboxEvent } from '@media-vault/service-kit';
import { and, eq, ne, notInArray } from 'drizzle-orm';
import type { TasksDatabase } from '../db/index.js';
import { downloadTasks, privateTasks } from '../db/schema.js';
import { authorize, authorizeAgent } from '../permissions.js';
import { authorizedSource } from './grant.repository.js';
import { downloadJobsOf, windowOf } from './agent-jobs.js';
import { taskEvent } from './master.events.js';
import {
  downloadEventRecord,
  privateEventRecord,
  toDownloadTask,
  type DownloadView,
} from './master.mapper.js';
import {
  agentById,
  findDownloadView,
  isUniqueViolation,
  uploadOfSource,
  type Db,
} from './master.reads.js';
import { assertTransition, isRetry, nextPercent, reasonAfter } from './status-machine.js';
import type { TaskChange } from './upload-task.repository.js';

const FINISHED = [TaskStatus.done, TaskStatus.error];

const openDownloadOf = async (db: Db, userId: string, sourceId: number, except?: number) =>
  (
    await db
      .select()
      .from(downloadTasks)
      .where(
        and(
          eq(downloadTasks.userId, userId),
          eq(downloadTasks.sourceId, sourceId),
          notInArray(downloadTasks.status, FINISHED),
          except === undefined ? undefined : ne(downloadTasks.id, except),
        ),
      )
  )[0];

export class DownloadTaskRepository {
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
      const window = await windowOf(tx, source, principal.id);

      const open = await openDownloadOf(tx, principal.id, source.id);
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
              await agentById(tx, query.agent),
            );

      const [download] = await tx
        .insert(downloadTasks)
        .values({ sourceId: source.id, userId: principal.id, agent: agent?.id ?? null })
        .returning();
      const [privateTask] = await tx
        .insert(privateTasks)
        .values({ downloadId: download!.id, sourceId: source.id, userId: source.userId })
        .returning();
      const view: DownloadView = { source, upload, download: download!, privateTask: privateTask! };

      const outgoing: OutboxEvent[] = [
        taskEvent('download', downloadEventRecord(view), null),
        taskEvent('private', privateEventRecord(view), null),
      ];
      outgoing.push(...(await downloadJobsOf(tx, view, window, { fetch: true, release: true })));
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
    try {
      return await this.db.transaction(async (tx) => {
        const view = await findDownloadView(tx, request.id, { lock: true });
        authorize(S.downloadUpdate, principal, {
          kind: 'download',
          id: request.id,
          ownerId: view?.download.userId,
        });
        const current = view!;
        const { download } = current;
        assertTransition('download', download.id, download.status, request.status);
        if (isFinishedStatus(download.status) && !isFinishedStatus(request.status)) {
          await assertNoOtherOpen(tx, current);
        }
        const percent = nextPercent(download, request.status, request.percent);
        const reason = reasonAfter(request);
        if (
          request.status === download.status &&
          percent === download.percent &&
          reason === download.reason
        ) {
          return { task: toDownloadTask(current), changed: false };
        }
        const [updated] = await tx
          .update(downloadTasks)
          .set({ status: request.status, percent, reason, updatedAt: new Date() })
          .where(eq(downloadTasks.id, download.id))
          .returning();
        const next: DownloadView = { ...current, download: updated! };
        const outgoing = [taskEvent('download', downloadEventRecord(next), download.status)];
        if (isRetry(download.status, request.status)) {
          // A retried download is fetched again by its agent; the key, if released, stays.
          const window = await windowOf(tx, next.source, download.userId);
          outgoing.push(
            ...(await downloadJobsOf(tx, next, window, { fetch: true, release: false })),
          );
        }
        await enqueueEvents(tx, outgoing);
        return { task: toDownloadTask(next), changed: true };
      });
    } catch (err) {
      // Two retries of old tasks of one source racing each other: the index lets one through.
      if (isUniqueViolation(err)) {
        throw new VaultError(
          'conflict',
          `download task ${request.id} cannot be retried: another download of its source is open`,
        );
      }
      throw err;
    }
  }
}

/** A retried download (9→0) must not become a second unfinished download of its source. */
async function assertNoOtherOpen(db: Db, { download }: DownloadView): Promise<void> {
  const other = await openDownloadOf(db, download.userId, download.sourceId, download.id);
  if (other) {
    throw new VaultError(
      'conflict',
      `download task ${download.id} cannot go from ${download.status} to 0: download task ${other.id} of source ${download.sourceId} is still open`,
    );
  }
}
