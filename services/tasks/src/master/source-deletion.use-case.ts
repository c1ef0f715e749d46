import {
  CommandSubjects as S,
  isFinishedStatus,
  TaskStatus,
  VaultError,
  type MasterSource,
  type Principal,
} from '@media-vault/contracts';
import { enqueueEvents, type OutboxEvent } from '@media-vault/service-kit';
import { appendGrantEntry } from '../audit/audit.use-case.js';
import type { TasksDatabase } from '../db/index.js';
import type { DownloadTaskRow, PrivateTaskRow } from '../db/schema.js';
import {
  applyBlockReport,
  applyDownloadReport,
  privateMirrorOf,
  showsMirror,
} from './block-report.rules.js';
import { listDownloadTasksOfSource, updateDownloadTask } from './download-task.repository.js';
import { listGrantsOfSource, updateGrant } from './grant.repository.js';
import { grantEvent, taskEvent, unpinJob } from './master.events.js';
import {
  downloadEventRecord,
  privateEventRecord,
  toGrant,
  toSource,
  uploadEventRecord,
} from './master.mapper.js';
import { authorizedSource, uploadOfSource } from './master.reads.js';
import { listPrivateTasksOfSource, updatePrivateTask } from './private-task.repository.js';
import { markSourceDeleted } from './source.repository.js';
import { blocksOfSource, deletedSourceReason } from './status-machine.rules.js';
import { findUploadTask, updateUploadTask } from './upload-task.repository.js';

/** The owner (or root) withdrawing a source. */
export class SourceDeletion {
  constructor(private readonly db: TasksDatabase) {}

  /**
   * In one transaction: every grant revoked, every task still running ended at 9 with the
   * reason, the source marked deleted (404 from then on) and its blocks unpinned from the
   * platform's node (jobs.ipfs.unpin). Finished tasks stay as they are, as history.
   */
  async delete(
    principal: Principal,
    sourceId: number,
  ): Promise<{ source: MasterSource; changed: true }> {
    return this.db.transaction(async (tx) => {
      const found = await authorizedSource(tx, S.sourceDelete, principal, sourceId, {
        lock: true,
      });
      const now = new Date();
      const source = { ...found, deletedAt: now };
      const ending = { status: TaskStatus.error, reason: deletedSourceReason(sourceId) };
      const outgoing: OutboxEvent[] = [];

      const { upload: listed } = await uploadOfSource(tx, found);
      let upload = (await findUploadTask(tx, listed.id, { lock: true }))!;
      const uploadEnd = isFinishedStatus(upload.status)
        ? undefined
        : applyBlockReport('upload', upload, ending);
      if (uploadEnd) {
        const previous = upload.status;
        upload = await updateUploadTask(tx, upload.id, uploadEnd);
        outgoing.push(taskEvent('upload', uploadEventRecord({ source, upload }), previous));
      }

      // By the download each one serves.
      const privates = new Map<number, PrivateTaskRow>();
      for (const row of await listPrivateTasksOfSource(tx, sourceId)) {
        const end = isFinishedStatus(row.status)
          ? undefined
          : applyBlockReport('private', row, ending);
        const updated = end ? await updatePrivateTask(tx, row.id, end) : row;
        if (end) {
          outgoing.push(
            taskEvent('private', privateEventRecord({ source, privateTask: updated }), row.status),
          );
        }
        privates.set(row.downloadId, updated);
      }

      for (const row of await listDownloadTasksOfSource(tx, sourceId)) {
        const privateTask = privates.get(row.id);
        if (!privateTask) throw new VaultError('internal', `private task of download ${row.id}`);
        const end = isFinishedStatus(row.status) ? undefined : applyDownloadReport(row, ending);
        const mirror = privateMirrorOf(privateTask);
        const change = { ...end, ...(showsMirror(row, mirror) ? {} : mirror) };
        if (Object.keys(change).length === 0) continue;
        const download: DownloadTaskRow = await updateDownloadTask(tx, row.id, change);
        outgoing.push(
          taskEvent(
            'download',
            downloadEventRecord({ source, upload, download, privateTask }),
            row.status,
          ),
        );
      }

      for (const row of await listGrantsOfSource(tx, sourceId)) {
        if (row.revokedAt) continue;
        const grant = toGrant(
          await updateGrant(tx, row.id, { revokedAt: now, updatedAt: now }),
          now,
        );
        outgoing.push(grantEvent(grant, toGrant(row, now).status));
        await appendGrantEntry(tx, 'revoke', principal, grant);
      }

      await markSourceDeleted(tx, sourceId, now);
      const cids = blocksOfSource(upload, [...privates.values()]);
      if (cids.length > 0) outgoing.push(unpinJob({ cids }));
      await enqueueEvents(tx, outgoing);
      return { source: toSource({ source, upload }), changed: true };
    });
  }
}
