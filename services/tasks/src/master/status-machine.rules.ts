import {
  MasterTaskPaths,
  isAllowedTransition,
  TaskStatus,
  VaultError,
  type MasterTaskKind,
} from '@media-vault/contracts';

const describePath = (kind: MasterTaskKind): string =>
  `${kind} tasks move ${MasterTaskPaths[kind].join('→')}, to 9 on error and from 9 back to 0`;

/** Refuses a move the kind's status machine does not allow, naming the task and the move. */
export function assertTransition(kind: MasterTaskKind, id: number, from: number, to: number): void {
  if (isAllowedTransition(kind, from, to)) return;
  throw new VaultError(
    'conflict',
    `${kind} task ${id} cannot go from ${from} to ${to} (${describePath(kind)})`,
  );
}

/** 9 → 0: the task is to be tried again, so the agent job behind it is sent again. */
export const isRetry = (from: number, to: number): boolean =>
  from === TaskStatus.error && to === TaskStatus.notStarted;

/**
 * A block task reaching 8 with a hash: the block is complete on its uploader's node, so the
 * platform pins a copy (jobs.ipfs.pin) and the block outlives that node being offline.
 */
export const seedsBlock = (from: number, to: number, hash: string): boolean =>
  from !== TaskStatus.done && to === TaskStatus.done && hash !== '';

/** A failure's reason stays while the task is at 9; any other status clears it. */
export function reasonAfter(report: { status: number; reason?: string | undefined }): string {
  const reason = (report.reason ?? '').trim();
  if (report.status === TaskStatus.error) return reason;
  if (reason !== '') {
    throw new VaultError('badRequest', `reason: only a report of status 9 carries a reason`);
  }
  return '';
}

/**
 * The percent a task shows after a report. A report without one keeps it while the status stays,
 * shows 100 when the task is done, keeps where it stopped on an error, and starts a new step at 0.
 */
export function nextPercent(
  current: { status: number; percent: number },
  status: number,
  given: number | undefined,
): number {
  if (given !== undefined) return given;
  if (status === current.status || status === TaskStatus.error) return current.percent;
  return status === TaskStatus.done ? 100 : 0;
}

/** The reason a deleted source's running tasks end with at 9. */
export const deletedSourceReason = (sourceId: number): string => `source ${sourceId} was deleted`;

/** A task of a deleted source stays where deletion left it: a retry (9 → 0) is refused. */
export function assertRetryAllowed(
  kind: MasterTaskKind,
  id: number,
  source: { id: number; deletedAt: Date | null },
  from: number,
  to: number,
): void {
  if (source.deletedAt !== null && isRetry(from, to)) {
    throw new VaultError(
      'conflict',
      `${kind} task ${id} cannot be retried: ${deletedSourceReason(source.id)}`,
    );
  }
}

/**
 * What the platform's node unpins when a source is deleted: its public block and every private
 * block reported for it, each once. A hash reported but never pinned costs a no-op.
 */
export const blocksOfSource = (
  upload: { hash: string },
  privateTasks: readonly { hash: string }[],
): string[] =>
  [...new Set([upload.hash, ...privateTasks.map((task) => task.hash)])].filter((h) => h !== '');
