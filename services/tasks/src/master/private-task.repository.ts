import {
  CommandSubjects as S,
  TaskStatus,
  type Principal,
  type PrivateUploadTask,
  type UpdatePrivateTaskRequest,
} from '@media-vault/contracts';
import { enqueueEvents, type OutboxEvent } from '@media-vault/service-kit';
import { asc, eq, inArray } from 'drizzle-orm';
import type { TasksDatabase } from '../db/index.js';
import { downloadTasks, privateTasks, sources, type PrivateTaskRow } from '../db/schema.js';
import { authorize } from '../permissions.js';
import { downloadJobsOf, windowOf } from './agent-jobs.js';
import { taskEvent } from './master.events.js';
import {
  downloadEventRecord,
  privateEventRecord,
  toPrivateTask,
  type PrivateView,
} from './master.mapper.js';
import { findDownloadView, findPrivateView } from './master.reads.js';
import { isRetry } from './status-machine.js';
import { applyBlockReport, type TaskChange } from './upload-task.repository.js';

/**
 * What the download task shows of its private upload: always its status, and the private block
 * (name, size, hash) once the upload is done.
 */
const mirrorOf = (task: PrivateTaskRow) => {
  const done = task.status === TaskStatus.done;
  return {
    privateStatus: task.status,
    privateName: done ? task.name : '',
    privateSize: done ? task.size : 0,
    privateHash: done ? task.hash : '',
  };
};

export class PrivateTaskRepository {
  constructor(private readonly db: TasksDatabase) {}

  /**
   * Every private block upload the caller owes, oldest first, whatever its status. The filter on
   * the caller's id is the `callersRows` rule of the permission table.
   */
  async list(principal: Principal): Promise<PrivateUploadTask[]> {
    const tasks = await this.db
      .select()
      .from(privateTasks)
      .where(eq(privateTasks.userId, principal.id))
      .orderBy(asc(privateTasks.id));
    if (tasks.length === 0) return [];
    const sourceIds = [...new Set(tasks.map((t) => t.sourceId))];
    const rows = await this.db.select().from(sources).where(inArray(sources.id, sourceIds));
    const byId = new Map(rows.map((s) => [s.id, s]));
    return tasks.map((privateTask) =>
      toPrivateTask({ source: byId.get(privateTask.sourceId)!, privateTask }),
    );
  }

  /**
   * A report from the owner's client (or agent) on a private block upload. The download task it
   * serves follows: its `private_status` always, its `private_name/size/hash` once done.
   */
  async update(
    principal: Principal,
    request: UpdatePrivateTaskRequest,
  ): Promise<TaskChange<PrivateUploadTask>> {
    const { id, ...report } = request;
    return this.db.transaction(async (tx) => {
      const view = await findPrivateView(tx, id, { lock: true });
      authorize(S.privateUpdate, principal, {
        kind: 'private',
        id,
        ownerId: view?.privateTask.userId,
      });
      const current = view!;
      const next = applyBlockReport('private', current.privateTask, report);
      if (!next) return { task: toPrivateTask(current), changed: false };

      const [updated] = await tx
        .update(privateTasks)
        .set({ ...next, updatedAt: new Date() })
        .where(eq(privateTasks.id, id))
        .returning();
      const privateView: PrivateView = { source: current.source, privateTask: updated! };
      const outgoing: OutboxEvent[] = [
        taskEvent('private', privateEventRecord(privateView), current.privateTask.status),
      ];

      const download = (await findDownloadView(tx, updated!.downloadId, { lock: true }))!;
      if (isRetry(current.privateTask.status, updated!.status)) {
        // A retried release goes back to the sealing agent, with the grant as it stands now.
        const window = await windowOf(tx, download.source, download.download.userId);
        const view = { ...download, privateTask: updated! };
        outgoing.push(...(await downloadJobsOf(tx, view, window, { fetch: false, release: true })));
      }
      const mirror = mirrorOf(updated!);
      const row = download.download;
      const unchanged =
        row.privateStatus === mirror.privateStatus &&
        row.privateName === mirror.privateName &&
        row.privateSize === mirror.privateSize &&
        row.privateHash === mirror.privateHash;
      if (!unchanged) {
        const [mirrored] = await tx
          .update(downloadTasks)
          .set({ ...mirror, updatedAt: new Date() })
          .where(eq(downloadTasks.id, row.id))
          .returning();
        const downloadView = { ...download, download: mirrored!, privateTask: updated! };
        outgoing.push(taskEvent('download', downloadEventRecord(downloadView), row.status));
      }
      await enqueueEvents(tx, outgoing);
      return { task: toPrivateTask(privateView), changed: true };
    });
  }
}
