import { audioReviews } from '../db/schema.js';
import type { AssetsTx } from '../db/transaction.js';

export type NewAudioReview = typeof audioReviews.$inferInsert;

export async function insertReview(tx: AssetsTx, values: NewAudioReview): Promise<void> {
  await tx.insert(audioReviews).values(values);
}
