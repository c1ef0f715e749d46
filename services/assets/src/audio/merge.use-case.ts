import {
  AssetBuckets,
  VaultError,
  type AssetFile,
  type AudioAsset,
  type MergedJob,
  type Principal,
} from '@media-vault/contracts';
import { enqueueEvents } from '@media-vault/service-kit';
import { randomUUID } from 'node:crypto';
import type { AssetsDatabase } from '../db/index.js';
import type { AudioAssetRow } from '../db/schema.js';
import type { AssetsTx } from '../db/transaction.js';
import { writableOrNotFound } from './access.rules.js';
import {
  checkSubmittable,
  mergeFailedReason,
  mergeStep,
  statusAfterMerge,
} from './asset-state.rules.js';
import { assetStatusEvent, mergeJobEvent, unpinJobEvent } from './asset.events.js';
import { toAudioAsset } from './asset.mapper.js';
import { liveAssetUsesCid, lockAsset, lockTwin, updateAsset } from './asset.repository.js';
import { describeMissing, missingChunks } from './chunk-plan.rules.js';
import { listChunks } from './chunk.repository.js';
import { freeChunks } from './delete.use-case.js';
import { originalOf, shareWithTwin } from './shared-files.rules.js';

/**
 * After a merge has checked the uploaded bytes against the asset's hash, an asset of anyone
 * holding the same original (same hash, same CID) has the very renditions this one needs: the
 * platform keeps one set of them. This is the only place another user's files are reused, and only
 * once the caller has proven it holds the bytes by uploading them (SPEC §11). IPFS already stores
 * the identical original once.
 *
 * Returns the files the asset keeps and the CIDs of its new renditions that nothing uses now.
 */
async function shareVerifiedFiles(
  tx: AssetsTx,
  asset: AudioAssetRow,
  merged: readonly AssetFile[],
): Promise<{ files: AssetFile[]; unpin: string[] }> {
  const original = originalOf(merged);
  if (!original) return { files: [...merged], unpin: [] };
  const twin = await lockTwin(tx, asset.id, asset.hash, original.cid);
  const { files, surplus } = shareWithTwin(merged, twin?.files);
  const unused: string[] = [];
  for (const cid of surplus) {
    if (!(await liveAssetUsesCid(tx, cid))) unused.push(cid);
  }
  return { files, unpin: unused };
}

/** Merge and Submit, and the merge pipeline's answer. */
export class MergeUseCase {
  constructor(private readonly db: AssetsDatabase) {}

  /** All chunks present → MERGING and one merge job; a second call while merging changes nothing. */
  async merge(p: Principal, id: bigint, submit: boolean): Promise<AudioAsset> {
    return this.db.transaction(async (tx) => {
      const asset = writableOrNotFound(p, id, await lockAsset(tx, id));
      if (mergeStep(asset) === 'unchanged') return toAudioAsset(asset);
      const chunks = await listChunks(tx, id);
      if (chunks.length !== asset.chunkCount) {
        const missing = missingChunks(
          asset.chunkCount,
          chunks.map((c) => c.index),
        );
        throw new VaultError(
          'badRequest',
          `asset ${id} is missing chunks ${describeMissing(missing)}`,
        );
      }
      const jobId = randomUUID();
      const merging = await updateAsset(tx, id, {
        status: 'MERGING',
        mergeJobId: jobId,
        submitOnMerge: submit,
        reason: '',
      });
      await enqueueEvents(tx, [
        assetStatusEvent(merging, 'DRAFT'),
        mergeJobEvent({
          id: jobId,
          assetId: id.toString(),
          hash: asset.hash,
          size: Number(asset.size),
          bucket: AssetBuckets.chunks,
          chunks: chunks.map((c) => ({ index: c.index, object: c.object, size: c.size })),
        }),
      ]);
      return toAudioAsset(merging);
    });
  }

  /**
   * The merge pipeline's answer. Only the answer to the asset's current merge counts, so a
   * redelivered or stale result changes nothing. Either way the staging chunks are freed.
   */
  async applyMergeResult(result: MergedJob): Promise<boolean> {
    const id = BigInt(result.assetId);
    return this.db.transaction(async (tx) => {
      const asset = await lockAsset(tx, id);
      if (!asset || asset.status !== 'MERGING' || asset.mergeJobId !== result.id) return false;
      let unpinCids: string[] = [];
      let update;
      if (result.ok) {
        const shared = await shareVerifiedFiles(tx, asset, result.files);
        unpinCids = shared.unpin;
        update = {
          status: statusAfterMerge(asset.submitOnMerge),
          merged: true,
          probe: result.probe,
          files: shared.files,
          reason: '',
        };
      } else {
        update = { status: 'DRAFT' as const, reason: mergeFailedReason(result.reason) };
      }
      const row = await updateAsset(tx, id, { ...update, mergeJobId: null });
      const events = [assetStatusEvent(row, 'MERGING'), ...(await freeChunks(tx, id, row))];
      if (unpinCids.length > 0) {
        events.push(unpinJobEvent({ id: randomUUID(), cids: unpinCids }));
      }
      await enqueueEvents(tx, events);
      return true;
    });
  }

  async submit(p: Principal, id: bigint): Promise<AudioAsset> {
    return this.db.transaction(async (tx) => {
      const asset = writableOrNotFound(p, id, await lockAsset(tx, id));
      checkSubmittable(asset);
      const row = await updateAsset(tx, id, { status: 'SUBMIT' });
      await enqueueEvents(tx, [assetStatusEvent(row, 'DRAFT')]);
      return toAudioAsset(row);
    });
  }
}
