import { VaultError, type AssetStatus } from '@media-vault/contracts';

/** What the upload-side state machine reads of an asset. */
export interface AssetState {
  readonly id: bigint;
  readonly status: AssetStatus;
  readonly merged: boolean;
}

/** Whether a chunk may still be recorded for the asset: only an unmerged DRAFT takes them. */
export const takesChunks = (asset: Pick<AssetState, 'status' | 'merged'>): boolean =>
  asset.status === 'DRAFT' && !asset.merged;

/** Chunks go only to an unmerged DRAFT. */
export function checkUploadable(asset: AssetState): void {
  if (!takesChunks(asset)) {
    const state = asset.status === 'DRAFT' ? 'a merged DRAFT' : asset.status;
    throw new VaultError(
      'conflict',
      `asset ${asset.id} is ${state}; chunks go only to an unmerged DRAFT`,
    );
  }
}

/**
 * What Merge does with the asset: `merge` an unmerged DRAFT, or nothing (`unchanged`) while it is
 * MERGING already, so a repeated call is harmless. Anything else is a conflict.
 */
export function mergeStep(asset: AssetState): 'merge' | 'unchanged' {
  if (asset.status === 'MERGING') return 'unchanged';
  if (asset.status !== 'DRAFT') {
    throw new VaultError(
      'conflict',
      `asset ${asset.id} is ${asset.status}; only a DRAFT can be merged`,
    );
  }
  if (asset.merged) {
    throw new VaultError('conflict', `asset ${asset.id} is already merged; submit it instead`);
  }
  return 'merge';
}

/** Only a merged DRAFT can be submitted. */
export function checkSubmittable(asset: AssetState): void {
  if (asset.status !== 'DRAFT' || !asset.merged) {
    throw new VaultError(
      'conflict',
      `asset ${asset.id} is ${asset.status}${asset.merged ? '' : ' and not merged'}; only a merged DRAFT can be submitted`,
    );
  }
}

/** The status a successful merge leaves: SUBMIT when Merge asked for it, else a merged DRAFT. */
export const statusAfterMerge = (submitOnMerge: boolean): AssetStatus =>
  submitOnMerge ? 'SUBMIT' : 'DRAFT';

/** The reason a failed merge leaves on the DRAFT, telling the owner what to do. */
export const mergeFailedReason = (reason: string): string =>
  `merge failed: ${reason}; upload the chunks again`;

/** The user's own clean-up deletes an asset only in the status the command names. */
export function checkOwnDelete(asset: AssetState, status: 'DRAFT' | 'REJECT'): void {
  if (asset.status !== status) {
    throw new VaultError('conflict', `asset ${asset.id} is ${asset.status}, not ${status}`);
  }
}
