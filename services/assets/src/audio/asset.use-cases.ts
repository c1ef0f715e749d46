import type { AssetsDatabase } from '../db/index.js';
import { DeleteUseCase } from './delete.use-case.js';
import { DraftExpiryUseCase } from './draft-expiry.use-case.js';
import { ListingUseCase } from './listing.use-case.js';
import { MergeUseCase } from './merge.use-case.js';
import { ReviewUseCase } from './review.use-case.js';
import { UploadUseCase, type AssetLimits } from './upload.use-case.js';

/** Every capability of the audio area, on one database. */
export interface AssetUseCases {
  readonly upload: UploadUseCase;
  readonly merge: MergeUseCase;
  readonly review: ReviewUseCase;
  readonly listing: ListingUseCase;
  readonly deletion: DeleteUseCase;
  readonly expiry: DraftExpiryUseCase;
}

export const createAssetUseCases = (db: AssetsDatabase, limits: AssetLimits): AssetUseCases => ({
  upload: new UploadUseCase(db, limits),
  merge: new MergeUseCase(db),
  review: new ReviewUseCase(db),
  listing: new ListingUseCase(db),
  deletion: new DeleteUseCase(db),
  expiry: new DraftExpiryUseCase(db),
});
