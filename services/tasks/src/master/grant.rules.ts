import { VaultError } from '@media-vault/contracts';
import type { GrantRow } from '../db/schema.js';

/** Accepts ISO 8601 with or without a zone (none means UTC) and the seed's `YYYY-MM-DD HH:mm:ss`. */
export function parseGrantTime(field: string, value: string | undefined): Date | null {
  if (value === undefined || value === '') return null;
  let text = value.replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00:00';
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text)) text += 'Z';
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) {
    throw new VaultError('badRequest', `${field}: ${value} is not a valid time`);
  }
  return time;
}

export interface GrantWindow {
  readonly notBefore: Date | null;
  readonly notAfter: Date | null;
}

/** The window a grant request asks for; an empty or backwards window is refused. */
export function grantWindowOf(request: { not_before?: string; not_after?: string }): GrantWindow {
  const notBefore = parseGrantTime('not_before', request.not_before);
  const notAfter = parseGrantTime('not_after', request.not_after);
  if (notBefore && notAfter && notAfter <= notBefore) {
    throw new VaultError('badRequest', 'not_after: must be later than not_before');
  }
  return { notBefore, notAfter };
}

const sameTime = (a: Date | null, b: Date | null) =>
  (a?.getTime() ?? null) === (b?.getTime() ?? null);

/**
 * Granting the same window again to a user whose grant stands changes nothing; a new signed
 * statement (or dropping one) is a change even with the same window.
 */
export const isSameGrant = (
  row: Pick<GrantRow, 'revokedAt' | 'notBefore' | 'notAfter'> & {
    readonly signedGrant?: { readonly statement: { readonly id: string } } | null;
  },
  window: GrantWindow,
  statementId: string | null = null,
): boolean =>
  row.revokedAt === null &&
  (row.signedGrant?.statement.id ?? null) === statementId &&
  sameTime(row.notBefore, window.notBefore) &&
  sameTime(row.notAfter, window.notAfter);

/** Whether a grant lets its user start a download at `now`; the reason when it does not. */
export function grantRefusal(
  row: Pick<GrantRow, 'revokedAt' | 'notBefore' | 'notAfter'>,
  now: Date,
): string | undefined {
  if (row.revokedAt) return `was revoked at ${row.revokedAt.toISOString()}`;
  if (row.notBefore && now < row.notBefore) return `is valid from ${row.notBefore.toISOString()}`;
  if (row.notAfter && now >= row.notAfter) return `expired at ${row.notAfter.toISOString()}`;
  return undefined;
}

/**
 * The window a release is limited to: none for the source's owner, else the downloader's grant
 * as it stands (the agent that opens the release enforces it).
 */
export function releaseWindowOf(
  ownerId: string,
  userId: string,
  grant: Pick<GrantRow, 'notBefore' | 'notAfter'> | undefined,
): GrantWindow {
  if (ownerId === userId) return { notBefore: null, notAfter: null };
  return { notBefore: grant?.notBefore ?? null, notAfter: grant?.notAfter ?? null };
}
