import { VaultError, type AssetStatus, type Principal } from '@media-vault/contracts';

/** Statuses whose files are complete: a new upload of the same bytes can reuse them. */
export const DEDUPE_SOURCES: readonly AssetStatus[] = ['SUBMIT', 'POST', 'DISABLE'];

/** What the rule needs to know of an existing asset with the requested hash. */
export interface DedupeCandidate {
  readonly userId: string;
  readonly status: AssetStatus;
  readonly size: bigint;
}

export type DedupeDecision<C extends DedupeCandidate> =
  { readonly kind: 'copy'; readonly source: C } | { readonly kind: 'upload' };

/**
 * Create's instant upload. Knowing `{size, hash}` is not owning the bytes (SPEC §11), and both are
 * public in listings and events, so only the caller's own complete asset may be copied. Anyone else
 * gets a plain chunk plan: the reply and its errors must read exactly as for bytes nobody has, so
 * another user's asset is ignored here, not merely refused. Their bytes are shared later by IPFS,
 * once the merge has checked the uploaded file against the hash.
 */
export function decideDedupe<C extends DedupeCandidate>(
  caller: Principal,
  request: { readonly size: bigint },
  candidates: readonly C[],
): DedupeDecision<C> {
  const source = candidates.find(
    (c) => c.userId === caller.id && DEDUPE_SOURCES.includes(c.status),
  );
  if (!source) return { kind: 'upload' };
  if (source.size !== request.size) {
    throw new VaultError(
      'badRequest',
      `size: your asset with this hash has ${source.size} bytes, not ${request.size}`,
    );
  }
  return { kind: 'copy', source };
}
