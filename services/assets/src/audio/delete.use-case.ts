import { AssetBuckets, chunkObjectsPrefix, type Principal } from '@media-vault/contracts';
import { enqueueEvents, type OutboxEvent } from '@media-vault/service-kit';
import { randomUUID } from 'node:crypto';
import type { AssetsDatabase } from '../db/index.js';
import type { AudioAssetRow } from '../db/schema.js';
import type { AssetsTx } from '../db/transaction.js';
import { ownOrNotFound } from './access.rules.js';
import { checkOwnDelete, takesChunks } from './asset-state.rules.js';
import { assetStatusEvent, cleanupJobEvent, unpinJobEvent } from './asset.events.js';
import { liveAssetUsesCid, lockAsset, updateAsset } from './asset.repository.js';
import { deleteChunks } from './chunk.repository.js';
import { distinctCids } from './shared-files.rules.js';

/**
 * Deletes the chunk rows and schedules their staging objects for deletion. Once the asset takes
 * no more chunks (`after`: merged or deleted), every object stored for it goes too, recorded or
 * not: a gateway killed between storing a chunk and recording it, or a commit whose answer was
 * lost, leaves an object the client's retry does not reuse (each attempt has a fresh key), and
 * no commit can record one any more. While it still takes chunks, only the recorded ones: an
 * unrecorded object may be an upload whose commit is on its way (the orphan sweep's grace).
 */
export async function freeChunks(
  tx: AssetsTx,
  id: bigint,
  after: Pick<AudioAssetRow, 'status' | 'merged'>,
): Promise<OutboxEvent[]> {
  const removed = await deleteChunks(tx, id);
  const everyStaged = !takesChunks(after);
  if (removed.length === 0 && !everyStaged) return [];
  return [
    cleanupJobEvent({
      id: randomUUID(),
      bucket: AssetBuckets.chunks,
      objects: removed.map((c) => c.object),
      ...(everyStaged ? { prefix: chunkObjectsPrefix(id) } : {}),
    }),
  ];
}

/** Unpins the CIDs of `row` that no other live asset shares (CID garbage collection). */
async function unpinIfUnreferenced(tx: AssetsTx, row: AudioAssetRow): Promise<OutboxEvent[]> {
  const orphaned: string[] = [];
  for (const cid of distinctCids(row.files)) {
    if (!(await liveAssetUsesCid(tx, cid, row.id))) orphaned.push(cid);
  }
  if (orphaned.length === 0) return [];
  return [unpinJobEvent({ id: randomUUID(), cids: orphaned })];
}

/**
 * Moves a locked asset to DELETE inside the caller's transaction and frees what it stored: its
 * staging chunks and the pins nothing else needs. Returns the deleted row.
 */
export async function removeAsset(tx: AssetsTx, asset: AudioAssetRow): Promise<AudioAssetRow> {
  const row = await updateAsset(tx, asset.id, { status: 'DELETE' });
  const freed = [
    ...(await freeChunks(tx, asset.id, row)),
    ...(await unpinIfUnreferenced(tx, asset)),
  ];
  await enqueueEvents(tx, [assetStatusEvent(row, asset.status), ...freed]);
  return row;
}

/** The user's own clean-up: DeleteDraft and DeleteReject. */
export class DeleteUseCase {
  constructor(private readonly db: AssetsDatabase) {}

  /** Removes the caller's own DRAFT or REJECT asset and frees what it stored. */
  async deleteOwn(p: Principal, id: bigint, status: 'DRAFT' | 'REJECT'): Promise<void> {
    await this.db.transaction(async (tx) => {
      const asset = ownOrNotFound(p, id, await lockAsset(tx, id));
      checkOwnDelete(asset, status);
      await removeAsset(tx, asset);
    });
  }
}
