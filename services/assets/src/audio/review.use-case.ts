import type { AudioAsset, Principal } from '@media-vault/contracts';
import { enqueueEvents } from '@media-vault/service-kit';
import type { AssetsDatabase } from '../db/index.js';
import { notFound } from './access.rules.js';
import { assetStatusEvent } from './asset.events.js';
import { toAudioAsset } from './asset.mapper.js';
import { lockAsset, updateAsset } from './asset.repository.js';
import { removeAsset } from './delete.use-case.js';
import { reasonAfterReview, reviewTarget, type ReviewAction } from './review.rules.js';
import { insertReview } from './review.repository.js';

/** Reviewers' moves (Resolve, Reject, Disable, Recover, Delete), each one recorded. */
export class ReviewUseCase {
  constructor(private readonly db: AssetsDatabase) {}

  async review(p: Principal, id: bigint, action: ReviewAction, reason = ''): Promise<AudioAsset> {
    return this.db.transaction(async (tx) => {
      const asset = await lockAsset(tx, id);
      if (!asset || asset.status === 'DELETE') throw notFound(id);
      const to = reviewTarget(id, asset.status, action);
      await insertReview(tx, {
        assetId: id,
        reviewerId: p.id,
        fromStatus: asset.status,
        toStatus: to,
        reason,
      });
      if (to === 'DELETE') return toAudioAsset(await removeAsset(tx, asset));
      const row = await updateAsset(tx, id, {
        status: to,
        reason: reasonAfterReview(action, reason, asset.reason),
      });
      await enqueueEvents(tx, [assetStatusEvent(row, asset.status)]);
      return toAudioAsset(row);
    });
  }
}
