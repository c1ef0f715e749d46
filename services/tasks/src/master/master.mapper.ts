import {
  seedTimestamp,
  type DownloadTask,
  type DownloadTaskEvent,
  type Grant,
  type MasterSource,
  type PrivateTaskEvent,
  type PrivateUploadTask,
  type UploadTask,
  type UploadTaskEvent,
} from '@media-vault/contracts';
import type {
  DownloadTaskRow,
  GrantRow,
  PrivateTaskRow,
  SourceRow,
  UploadTaskRow,
} from '../db/schema.js';
import { grantRefusal } from './grant.rules.js';

const sourceFields = (source: SourceRow) => ({
  series_id: source.seriesId,
  source_id: source.id,
  source_name: source.sourceName,
  uuid: source.uuid,
});

const blockFields = (row: UploadTaskRow | PrivateTaskRow) => ({
  ip: row.ip,
  file: row.file,
  name: row.name,
  size: row.size,
  hash: row.hash,
});

export interface UploadView {
  readonly source: SourceRow;
  readonly upload: UploadTaskRow;
}
export interface DownloadView extends UploadView {
  readonly download: DownloadTaskRow;
  readonly privateTask: PrivateTaskRow;
}
export interface PrivateView {
  readonly source: SourceRow;
  readonly privateTask: PrivateTaskRow;
}

export const toUploadTask = ({ source, upload }: UploadView): UploadTask => ({
  id: upload.id,
  status: upload.status,
  percent: upload.percent,
  ...sourceFields(source),
  ...blockFields(upload),
  created_at: seedTimestamp(upload.createdAt),
});

export const toDownloadTask = ({
  source,
  upload,
  download,
}: Pick<DownloadView, 'source' | 'upload' | 'download'>): DownloadTask => ({
  id: download.id,
  status: download.status,
  percent: download.percent,
  ...sourceFields(source),
  ...blockFields(upload),
  created_at: seedTimestamp(download.createdAt),
  private_status: download.privateStatus,
  private_name: download.privateName,
  private_size: download.privateSize,
  private_hash: download.privateHash,
});

export const toPrivateTask = ({ source, privateTask }: PrivateView): PrivateUploadTask => ({
  id: privateTask.id,
  status: privateTask.status,
  percent: privateTask.percent,
  ...sourceFields(source),
  ...blockFields(privateTask),
  created_at: seedTimestamp(privateTask.createdAt),
});

export const toSource = ({ source, upload }: UploadView): MasterSource => ({
  id: source.id,
  source_id: source.id,
  series_id: source.seriesId,
  uuid: source.uuid,
  source_name: source.sourceName,
  user_id: source.userId,
  upload_id: upload.id,
  status: upload.status,
  percent: upload.percent,
  ...blockFields(upload),
  sealed_by: source.sealedBy ?? '',
  created_at: seedTimestamp(source.createdAt),
});

export const toGrant = (row: GrantRow, now = new Date()): Grant => ({
  id: row.id,
  source_id: row.sourceId,
  user_id: row.userId,
  granted_by: row.grantedBy,
  not_before: row.notBefore?.toISOString() ?? null,
  not_after: row.notAfter?.toISOString() ?? null,
  status: row.revokedAt ? 'revoked' : 'active',
  valid: grantRefusal(row, now) === undefined,
  signed_grant: row.signedGrant ?? null,
  signed_revocation: row.signedRevocation ?? null,
  created_at: seedTimestamp(row.createdAt),
  updated_at: seedTimestamp(row.updatedAt),
});

export const uploadEventRecord = (view: UploadView): UploadTaskEvent['record'] => ({
  ...toUploadTask(view),
  user_id: view.upload.userId,
  reason: view.upload.reason,
  sealed_by: view.source.sealedBy ?? '',
});

export const downloadEventRecord = (view: DownloadView): DownloadTaskEvent['record'] => ({
  ...toDownloadTask(view),
  user_id: view.download.userId,
  reason: view.download.reason,
  agent: view.download.agent ?? '',
  private_task_id: view.privateTask.id,
});

export const privateEventRecord = (view: PrivateView): PrivateTaskEvent['record'] => ({
  ...toPrivateTask(view),
  user_id: view.privateTask.userId,
  reason: view.privateTask.reason,
  download_task_id: view.privateTask.downloadId,
});

export interface TaskChange<T> {
  readonly task: T;
  /** False when the request changed nothing: no write, no event. */
  readonly changed: boolean;
}
