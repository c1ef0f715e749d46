/** Seed 002 audio asset statuses. */
export const AssetStatus = {
  draft: 'DRAFT',
  merging: 'MERGING',
  submit: 'SUBMIT',
  post: 'POST',
  reject: 'REJECT',
  disable: 'DISABLE',
  delete: 'DELETE',
} as const;

export type AssetStatus = (typeof AssetStatus)[keyof typeof AssetStatus];

export const AssetStatuses: readonly AssetStatus[] = Object.values(AssetStatus);
