import {
  CommandSubjects as S,
  TaskStatus,
  VaultError,
  type CreateUploadTaskBody,
  type Principal,
  type UpdateUploadTaskRequest,
  type UploadTask,
} from '@media-vault/contracts';
import { enqueueEvents } from '@media-vault/service-kit';
import { eq } from 'drizzle-orm';
import type { TasksDatabase } from '../db/index.js';
import { sources, uploadTasks, type UploadTaskRow } from '../db/schema.js';
import { authorize, authorizeAgent } from '../permissions.js';
import { assertIngestPath } from './ingest-path.js';
import { sealJobsOf } from './agent-jobs.js';
import { taskEvent } from './master.events.js';
import { toUploadTask, uploadEventRecord, type UploadView } from './master.mapper.js';
import { agentById, findUploadView } from './master.reads.js';
import { assertTransition, isRetry, nextPercent, reasonAfter } from './status-machine.js';

export interface TaskChange<T> {
  readonly task: T;
  /** False when the request changed nothing: no write, no event. */
  readonly changed: boolean;
}

type BlockReport = Pick<
  UploadTaskRow,
  'status' | 'percent' | 'ip' | 'file' | 'name' | 'size' | 'hash' | 'reason'
>;

/**
 * Applies a public or private block report to the row's current values; undefined when it would
 * change nothing. A block can only be done once its IPFS hash is known.
 */
export function applyBlockReport(
  kind: 'upload' | 'private',
  row: BlockReport & { id: number },
  report: Omit<UpdateUploadTaskRequest, 'id'>,
): BlockReport | undefined {
  assertTransition(kind, row.id, row.status, report.status);
  const next: BlockReport = {
    status: report.status,
    percent: nextPercent(row, report.status, report.percent),
    ip: report.ip ?? row.ip,
    file: report.file ?? row.file,
    name: report.name ?? row.name,
    size: report.size ?? row.size,
    hash: report.hash ?? row.hash,
    reason: reasonAfter(report),
  };
  if (next.status === TaskStatus.done && next.hash === '') {
    throw new VaultError(
      'badRequest',
      `hash: ${kind} task ${row.id} needs the block's IPFS hash to reach status 8`,
    );
  }
  const same = (Object.keys(next) as (keyof BlockReport)[]).every((k) => next[k] === row[k]);
  return same ? undefined : next;
}

export class UploadTaskRepository {
  constructor(private readonly db: TasksDatabase) {}

  /**
   * Creates a source and its public-block upload task (status 0). With `path` and `agent`, the
   * caller's agent is asked to seal the master and is recorded on the source as its sealer.
   */
  async create(principal: Principal, body: CreateUploadTaskBody): Promise<UploadTask> {
    if ((body.path === undefined) !== (body.agent === undefined)) {
      throw new VaultError(
        'badRequest',
        'path and agent go together: send both to have your agent seal the master, or neither',
      );
    }
    if (body.path !== undefined) assertIngestPath(body.path);
    return this.db.transaction(async (tx) => {
      if (body.agent !== undefined) {
        authorizeAgent(S.uploadCreate, principal, body.agent, await agentById(tx, body.agent));
      }
      const [source] = await tx
        .insert(sources)
        .values({
          userId: principal.id,
          seriesId: body.series_id,
          uuid: body.uuid,
          sourceName: body.source_name,
          ingestPath: body.path ?? null,
          sealedBy: body.agent ?? null,
        })
        .returning();
      const [upload] = await tx
        .insert(uploadTasks)
        .values({ sourceId: source!.id, userId: principal.id })
        .returning();
      const view: UploadView = { source: source!, upload: upload! };
      const events = [taskEvent('upload', uploadEventRecord(view), null), ...sealJobsOf(view)];
      await enqueueEvents(tx, events);
      return toUploadTask(view);
    });
  }

  /** A report from the uploading client (or agent): status, percent and the public block. */
  async update(
    principal: Principal,
    request: UpdateUploadTaskRequest,
  ): Promise<TaskChange<UploadTask>> {
    const { id, ...report } = request;
    return this.db.transaction(async (tx) => {
      const view = await findUploadView(tx, id, { lock: true });
      authorize(S.uploadUpdate, principal, { kind: 'upload', id, ownerId: view?.upload.userId });
      const current = view!;
      const next = applyBlockReport('upload', current.upload, report);
      if (!next) return { task: toUploadTask(current), changed: false };
      const [upload] = await tx
        .update(uploadTasks)
        .set({ ...next, updatedAt: new Date() })
        .where(eq(uploadTasks.id, id))
        .returning();
      const updated: UploadView = { source: current.source, upload: upload! };
      await enqueueEvents(tx, [
        taskEvent('upload', uploadEventRecord(updated), current.upload.status),
        // A retried seal goes back to the agent that was asked to seal the master.
        ...(isRetry(current.upload.status, upload!.status) ? sealJobsOf(updated) : []),
      ]);
      return { task: toUploadTask(updated), changed: true };
    });
  }
}
