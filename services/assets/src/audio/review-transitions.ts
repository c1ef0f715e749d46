import type { AssetStatus } from '@media-vault/contracts';

/** Reviewer actions and the one status each may start from (SPEC §6). */
export const ReviewTransitions = {
  resolve: { from: ['SUBMIT'], to: 'POST' },
  reject: { from: ['SUBMIT'], to: 'REJECT' },
  disable: { from: ['POST'], to: 'DISABLE' },
  recover: { from: ['DISABLE'], to: 'POST' },
  delete: { from: ['POST', 'DISABLE'], to: 'DELETE' },
} as const satisfies Record<string, { from: readonly AssetStatus[]; to: AssetStatus }>;

export type ReviewAction = keyof typeof ReviewTransitions;
