import { VaultError, type AssetStatus } from '@media-vault/contracts';

/** Reviewer actions and the one status each may start from (SPEC §6). */
export const ReviewTransitions = {
  resolve: { from: ['SUBMIT'], to: 'POST' },
  reject: { from: ['SUBMIT'], to: 'REJECT' },
  disable: { from: ['POST'], to: 'DISABLE' },
  recover: { from: ['DISABLE'], to: 'POST' },
  delete: { from: ['POST', 'DISABLE'], to: 'DELETE' },
} as const satisfies Record<string, { from: readonly AssetStatus[]; to: AssetStatus }>;

export type ReviewAction = keyof typeof ReviewTransitions;

/** The status `action` moves an asset in `status` to; a move the table lacks is a conflict. */
export function reviewTarget(id: bigint, status: AssetStatus, action: ReviewAction): AssetStatus {
  const rule = ReviewTransitions[action];
  if (!(rule.from as readonly AssetStatus[]).includes(status)) {
    throw new VaultError(
      'conflict',
      `asset ${id} is ${status}; ${action} needs ${rule.from.join(' or ')}`,
    );
  }
  return rule.to;
}

/** A rejection's reason replaces the asset's; every other action keeps the one it has. */
export const reasonAfterReview = (action: ReviewAction, given: string, current: string): string =>
  action === 'reject' ? given : current;
