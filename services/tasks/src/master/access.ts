import { isRoot, VaultError, type MasterTaskKind, type Principal } from '@media-vault/contracts';

/**
 * Who may report on a task: its owner only. Anyone else learns nothing (404), except root, who
 * may read every task and so is told why it may not write (403).
 */
export function assertCanUpdate(
  kind: MasterTaskKind,
  id: number,
  ownerId: string | undefined,
  principal: Principal,
): void {
  if (ownerId === principal.id) return;
  if (ownerId !== undefined && isRoot(principal)) {
    throw new VaultError('forbidden', `only its owner can update ${kind} task ${id}`);
  }
  throw new VaultError('notFound', `${kind} task ${id} not found`);
}

/** Readers of a task: its owner and root; anyone else gets the same 404 as for a missing one. */
export function assertCanRead(
  kind: MasterTaskKind,
  id: number,
  ownerId: string | undefined,
  principal: Principal,
): void {
  if (ownerId !== undefined && (ownerId === principal.id || isRoot(principal))) return;
  throw new VaultError('notFound', `${kind} task ${id} not found`);
}

/** Postgres unique_violation, whichever driver raised it and however drizzle wrapped it. */
export const isUniqueViolation = (err: unknown): boolean => {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
};
