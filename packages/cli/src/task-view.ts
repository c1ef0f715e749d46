import {
  TaskStatus,
  TaskStatusNames,
  isTaskStatus,
  type DownloadTask,
  type MasterSource,
  type MasterTaskKind,
  type PrivateUploadTask,
  type UploadTask,
} from '@media-vault/contracts';

export type TaskRecord = UploadTask | DownloadTask | PrivateUploadTask | MasterSource;

/**
 * One task as the CLI shows it, whichever way its state arrived (an HTTP reply, a status event,
 * or a poll of the source when only that can be read).
 */
export interface TaskView {
  readonly kind: MasterTaskKind;
  readonly id: number;
  readonly status: number;
  /** Unknown when only the source could be read (polling an upload task without NATS). */
  readonly percent: number | undefined;
  readonly sourceId: number;
  readonly sourceName: string;
  /** The block the task is about: public for upload and download, private for private tasks. */
  readonly hash: string;
  /** Download tasks: the status of the private block release it waits for. */
  readonly privateStatus: number | undefined;
  /** Why the task is at 9, when its record says (status events carry a `reason`). */
  readonly reason: string | undefined;
  readonly record: TaskRecord;
}

/**
 * The seed's records have no field for why a task failed; the platform's events add `reason`.
 * Read where present, so the same code shows it from an event and stays quiet on a seed record.
 */
const reasonOf = (record: object): string | undefined => {
  const reason = (record as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason !== '' ? reason : undefined;
};

const common = (kind: MasterTaskKind, r: UploadTask | PrivateUploadTask) => ({
  kind,
  id: r.id,
  status: r.status,
  percent: r.percent,
  sourceId: r.source_id,
  sourceName: r.source_name,
  hash: r.hash,
  privateStatus: undefined,
  reason: reasonOf(r),
  record: r,
});

export const viewOfUpload = (r: UploadTask): TaskView => common('upload', r);
export const viewOfPrivate = (r: PrivateUploadTask): TaskView => common('private', r);
export const viewOfDownload = (r: DownloadTask): TaskView => ({
  ...common('download', r),
  privateStatus: r.private_status,
});

/**
 * The seed has no route that reads an upload task, but its source carries the upload's status and
 * public block: enough to follow an upload by polling, without the percent.
 */
export const viewOfSource = (s: MasterSource): TaskView => ({
  kind: 'upload',
  id: s.upload_id,
  status: s.status,
  percent: s.status === TaskStatus.done ? 100 : undefined,
  sourceId: s.source_id,
  sourceName: s.source_name,
  hash: s.hash,
  privateStatus: undefined,
  reason: undefined,
  record: s,
});

/** The record each task kind's events and replies carry. */
export type RecordOf<K extends MasterTaskKind> = K extends 'download'
  ? DownloadTask
  : K extends 'private'
    ? PrivateUploadTask
    : UploadTask;

const viewers: { [K in MasterTaskKind]: (record: RecordOf<K>) => TaskView } = {
  upload: viewOfUpload,
  download: viewOfDownload,
  private: viewOfPrivate,
};

/** Event records are the task records plus owner fields, so the same mapping reads them. */
export const viewOfRecord = <K extends MasterTaskKind>(kind: K, record: RecordOf<K>): TaskView =>
  viewers[kind](record);

/** `notStarted` → `not started`: English beside the seed's Chinese names, from the same table. */
const englishNames = new Map<number, string>(
  Object.entries(TaskStatus).map(([key, code]) => [
    code,
    key.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`),
  ]),
);

/** `3 上载中 (uploading)`: the seed's name for users, and English for everyone else. */
export function statusLabel(status: number): string {
  if (!isTaskStatus(status)) return `${status} (unknown status)`;
  return `${status} ${TaskStatusNames[status]} (${englishNames.get(status)})`;
}

export const isDone = (view: { status: number }): boolean => view.status === TaskStatus.done;
export const isFailed = (view: { status: number }): boolean => view.status === TaskStatus.error;
