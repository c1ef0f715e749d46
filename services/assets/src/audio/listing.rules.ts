import { VaultError, type AssetStatus, type Principal } from '@media-vault/contracts';
import { isReviewer } from './access.rules.js';

/** Conditions of a listing; each one given narrows it. */
export interface AssetFilter {
  readonly userId?: string | undefined;
  readonly status?: AssetStatus | undefined;
  readonly excludeDeleted?: boolean;
  /** Only POST assets and this user's own. */
  readonly postOrOwnedBy?: string | undefined;
  /** A LIKE pattern, already escaped, matched case-insensitively against the name. */
  readonly nameLike?: string | undefined;
}

export interface SearchQuery {
  readonly name?: string | undefined;
  readonly status?: AssetStatus | undefined;
  readonly owner?: string | undefined;
}

/** Escapes LIKE's wildcards so a searched name matches literally, anywhere in the name. */
export const nameContainsPattern = (text: string): string =>
  `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * What a search shows the caller: never deleted assets; POST and their own unless they review;
 * then the query's own conditions. An empty name or owner is no condition.
 */
export function searchFilter(p: Principal, q: SearchQuery): AssetFilter {
  return {
    excludeDeleted: true,
    postOrOwnedBy: isReviewer(p) ? undefined : p.id,
    nameLike: q.name ? nameContainsPattern(q.name) : undefined,
    status: q.status ? q.status : undefined,
    userId: q.owner ? q.owner : undefined,
  };
}

/** The caller's own list of one status; anyone else's, root's included, is forbidden. */
export function ownListFilter(p: Principal, uid: string, status: AssetStatus): AssetFilter {
  if (uid !== p.id) {
    throw new VaultError('forbidden', `you can list only your own assets (user ${p.id})`);
  }
  return { userId: uid, status };
}
