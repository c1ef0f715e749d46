import { hasRole, Roles, VaultError, type Principal } from '@media-vault/contracts';
import type { AudioAssetRow } from '../db/schema.js';

export const isReviewer = (p: Principal): boolean => hasRole(p, Roles.root, Roles.reviewerAssets);

/** Anyone signed in sees POST assets; owners see their own; reviewers and root see all. */
export const canSee = (p: Principal, row: AudioAssetRow): boolean =>
  row.status !== 'DELETE' && (row.status === 'POST' || row.userId === p.id || isReviewer(p));

/** Root may act upload-side on anyone's assets. */
export const writesAnyAsset = (p: Principal): boolean => hasRole(p, Roles.root);

/** Upload-side operations act on the caller's own assets (root may act on any). */
export const canWrite = (p: Principal, row: Pick<AudioAssetRow, 'userId'>): boolean =>
  row.userId === p.id || writesAnyAsset(p);

/** Other users' assets are "not found", never "forbidden": existence is not revealed. */
export const notFound = (id: bigint | string): VaultError =>
  new VaultError('notFound', `audio asset ${id} not found`);

export const parseAssetId = (id: string | number): bigint => {
  const text = String(id);
  if (!/^[0-9]{1,19}$/.test(text))
    throw new VaultError('badRequest', `id: "${text}" is not an asset id`);
  const value = BigInt(text);
  if (value > 9_223_372_036_854_775_807n)
    throw new VaultError('badRequest', `id: ${text} is out of range`);
  return value;
};

/** An upload-side target: a live asset the caller may write, else "not found". */
export function writableOrNotFound<R extends Pick<AudioAssetRow, 'userId' | 'status'>>(
  p: Principal,
  id: bigint,
  row: R | undefined,
): R {
  if (!row || row.status === 'DELETE' || !canWrite(p, row)) throw notFound(id);
  return row;
}

/** The user's own clean-up acts on their own live assets only, even for root. */
export function ownOrNotFound(
  p: Principal,
  id: bigint,
  row: AudioAssetRow | undefined,
): AudioAssetRow {
  if (!row || row.userId !== p.id || row.status === 'DELETE') throw notFound(id);
  return row;
}
