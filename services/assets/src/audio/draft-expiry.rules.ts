import type { AssetStatus } from '@media-vault/contracts';

/** How many abandoned drafts one sweep deletes at most; the next sweep takes the rest. */
export const EXPIRY_BATCH = 500;

/** Drafts last touched before this instant are abandoned. */
export const expiryCutoff = (now: Date, ttlMs: number): Date => new Date(now.getTime() - ttlMs);

/** An unmerged DRAFT nobody touched since `cutoff`; a merged one waits for its owner. */
export const isAbandonedDraft = (
  asset: { readonly status: AssetStatus; readonly merged: boolean; readonly updatedAt: Date },
  cutoff: Date,
): boolean => asset.status === 'DRAFT' && !asset.merged && asset.updatedAt < cutoff;
