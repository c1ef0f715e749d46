import type { AssetsDatabase } from '../db/index.js';
import { lockAsset, staleDraftIds } from './asset.repository.js';
import { removeAsset } from './delete.use-case.js';
import { EXPIRY_BATCH, expiryCutoff, isAbandonedDraft } from './draft-expiry.rules.js';

/** Deletes drafts their owners abandoned, freeing their chunks. */
export class DraftExpiryUseCase {
  constructor(private readonly db: AssetsDatabase) {}

  /** Deletes unmerged drafts nobody touched for `ttlMs`. Returns how many. */
  async expireDrafts(ttlMs: number): Promise<number> {
    const cutoff = expiryCutoff(new Date(), ttlMs);
    let expired = 0;
    for (const id of await staleDraftIds(this.db, cutoff, EXPIRY_BATCH)) {
      const done = await this.db.transaction(async (tx) => {
        const asset = await lockAsset(tx, id);
        // Checked again under the lock: a chunk may have arrived since the scan.
        if (!asset || !isAbandonedDraft(asset, cutoff)) return false;
        await removeAsset(tx, asset);
        return true;
      });
      if (done) expired++;
    }
    return expired;
  }
}
