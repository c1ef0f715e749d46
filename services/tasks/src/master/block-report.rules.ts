import {
  isFinishedStatus,
  TaskStatus,
  VaultError,
  type UpdateDownloadTaskRequest,
  type UpdateUploadTaskRequest,
} from '@media-vault/contracts';
import type { DownloadTaskRow, PrivateTaskRow, UploadTaskRow } from '../db/schema.js';
import { assertTransition, nextPercent, reasonAfter } from './status-machine.rules.js';

/** What an upload or private task's reporter may change. */
export type BlockReport = Pick<
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

export type DownloadReport = Pick<DownloadTaskRow, 'status' | 'percent' | 'reason'>;

/**
 * Applies a download client's report, once its move is allowed, to the row's current values;
 * undefined when it would change nothing.
 */
export function applyDownloadReport(
  row: DownloadReport,
  report: Omit<UpdateDownloadTaskRequest, 'id'>,
): DownloadReport | undefined {
  const percent = nextPercent(row, report.status, report.percent);
  const reason = reasonAfter(report);
  if (report.status === row.status && percent === row.percent && reason === row.reason) {
    return undefined;
  }
  return { status: report.status, percent, reason };
}

/** A finished download reopened (9 → 0) must not become a second open download of its source. */
export const reopensDownload = (from: number, to: number): boolean =>
  isFinishedStatus(from) && !isFinishedStatus(to);

export type PrivateMirror = Pick<
  DownloadTaskRow,
  'privateStatus' | 'privateName' | 'privateSize' | 'privateHash'
>;

/**
 * What the download task shows of its private upload: always its status, and the private block
 * (name, size, hash) once the upload is done.
 */
export const privateMirrorOf = (
  task: Pick<PrivateTaskRow, 'status' | 'name' | 'size' | 'hash'>,
): PrivateMirror => {
  const done = task.status === TaskStatus.done;
  return {
    privateStatus: task.status,
    privateName: done ? task.name : '',
    privateSize: done ? task.size : 0,
    privateHash: done ? task.hash : '',
  };
};

/** Whether the download row already shows the mirror. */
export const showsMirror = (row: PrivateMirror, mirror: PrivateMirror): boolean =>
  row.privateStatus === mirror.privateStatus &&
  row.privateName === mirror.privateName &&
  row.privateSize === mirror.privateSize &&
  row.privateHash === mirror.privateHash;
