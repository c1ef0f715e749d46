import type { AudioAsset } from '@media-vault/contracts';
import type { AudioAssetRow } from '../db/schema.js';

export const toAudioAsset = (row: AudioAssetRow): AudioAsset => ({
  id: row.id.toString(),
  userId: row.userId,
  name: row.name,
  size: row.size.toString(),
  hash: row.hash,
  status: row.status,
  reason: row.reason,
  chunkSize: row.chunkSize,
  chunkCount: row.chunkCount,
  merged: row.merged,
  probe: row.probe ?? null,
  files: row.files,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
