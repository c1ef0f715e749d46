import {
  CommandSubjects as S,
  type Principal,
  type PrivateUploadTask,
  type UpdatePrivateTaskRequest,
  type UpdateUploadTaskRequest,
  type UploadTask,
} from '@media-vault/contracts';
import { enqueueEvents, type OutboxEvent } from '@media-vault/service-kit';
import type { TasksDatabase } from '../db/index.js';
import { authorize } from '../permissions.js';
import { applyBlockReport, privateMirrorOf, showsMirror } from './block-report.rules.js';
import { updateDownloadTask } from './download-task.repository.js';
import { downloadJobsOf, pinJob, sealJobsOf, taskEvent } from './master.events.js';
import {
  downloadEventRecord,
  privateEventRecord,
  toPrivateTask,
  toUploadTask,
  uploadEventRecord,
  type PrivateView,
  type TaskChange,
  type UploadView,
} from './master.mapper.js';
import {
  downloadAgentsOf,
  findDownloadView,
  findPrivateView,
  findUploadView,
  signedGrantOf,
} from './master.reads.js';
import { updatePrivateTask } from './private-task.repository.js';
import { assertRetryAllowed, isRetry, seedsBlock } from './status-machine.rules.js';
import { updateUploadTask } from './upload-task.repository.js';

/** Reports on the public block (upload task) and on a private block (private upload task). */
export class BlockReports {
  constructor(private readonly db: TasksDatabase) {}

  /** A report from the uploading client (or agent): status, percent and the public block. */
  async reportUpload(
    principal: Principal,
    request: UpdateUploadTaskRequest,
  ): Promise<TaskChange<UploadTask>> {
    const { id, ...report } = request;
    return this.db.transaction(async (tx) => {
      const view = await findUploadView(tx, id, { lock: true });
      authorize(S.uploadUpdate, principal, { kind: 'upload', id, ownerId: view?.upload.userId });
      const current = view!;
      assertRetryAllowed('upload', id, current.source, current.upload.status, report.status);
      const next = applyBlockReport('upload', current.upload, report);
      if (!next) return { task: toUploadTask(current), changed: false };
      const upload = await updateUploadTask(tx, id, next);
      const updated: UploadView = { source: current.source, upload };
      await enqueueEvents(tx, [
        taskEvent('upload', uploadEventRecord(updated), current.upload.status),
        // A retried seal goes back to the agent that was asked to seal the master.
        ...(isRetry(current.upload.status, upload.status) ? sealJobsOf(updated) : []),
        ...(seedsBlock(current.upload.status, upload.status, upload.hash)
          ? [pinJob({ cid: upload.hash, peers: [upload.ip], task: { kind: 'upload', id } })]
          : []),
      ]);
      return { task: toUploadTask(updated), changed: true };
    });
  }

  /**
   * A report from the owner's client (or agent) on a private block upload. The download task it
   * serves follows: its `private_status` always, its `private_name/size/hash` once done.
   */
  async reportPrivate(
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
      assertRetryAllowed('private', id, current.source, current.privateTask.status, report.status);
      const next = applyBlockReport('private', current.privateTask, report);
      if (!next) return { task: toPrivateTask(current), changed: false };

      const updated = await updatePrivateTask(tx, id, next);
      const privateView: PrivateView = { source: current.source, privateTask: updated };
      const outgoing: OutboxEvent[] = [
        taskEvent('private', privateEventRecord(privateView), current.privateTask.status),
      ];

      if (seedsBlock(current.privateTask.status, updated.status, updated.hash)) {
        outgoing.push(
          pinJob({ cid: updated.hash, peers: [updated.ip], task: { kind: 'private', id } }),
        );
      }
      const download = (await findDownloadView(tx, updated.downloadId, { lock: true }))!;
      if (isRetry(current.privateTask.status, updated.status)) {
        // A retried release goes back to the sealing agent, with the grant as it stands now.
        const grant = await signedGrantOf(tx, download.source, download.download.userId);
        const retried = { ...download, privateTask: updated };
        const agents = await downloadAgentsOf(tx, retried);
        outgoing.push(...downloadJobsOf(retried, agents, grant, { fetch: false, release: true }));
      }
      const mirror = privateMirrorOf(updated);
      const row = download.download;
      if (!showsMirror(row, mirror)) {
        const mirrored = await updateDownloadTask(tx, row.id, mirror);
        const downloadView = { ...download, download: mirrored, privateTask: updated };
        outgoing.push(taskEvent('download', downloadEventRecord(downloadView), row.status));
      }
      await enqueueEvents(tx, outgoing);
      return { task: toPrivateTask(privateView), changed: true };
    });
  }
}
