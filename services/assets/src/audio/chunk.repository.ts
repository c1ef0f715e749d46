import { and, asc, eq } from 'drizzle-orm';
import type { AssetsDatabase } from '../db/index.js';
import { audioChunks, type AudioChunkRow } from '../db/schema.js';
import type { AssetsTx } from '../db/transaction.js';

export type NewAudioChunk = typeof audioChunks.$inferInsert;

export async function listChunks(db: AssetsDatabase, assetId: bigint): Promise<AudioChunkRow[]> {
  return db
    .select()
    .from(audioChunks)
    .where(eq(audioChunks.assetId, assetId))
    .orderBy(asc(audioChunks.index));
}

export async function findChunk(
  db: AssetsDatabase,
  assetId: bigint,
  index: number,
): Promise<AudioChunkRow | undefined> {
  const [row] = await db
    .select()
    .from(audioChunks)
    .where(and(eq(audioChunks.assetId, assetId), eq(audioChunks.index, index)));
  return row;
}

/** Inserts the chunk unless one with its index is stored already; undefined then. */
export async function insertChunkUnlessStored(
  tx: AssetsTx,
  values: NewAudioChunk,
): Promise<AudioChunkRow | undefined> {
  const [inserted] = await tx.insert(audioChunks).values(values).onConflictDoNothing().returning();
  return inserted;
}

/** Deletes every chunk row of the asset and returns them. */
export async function deleteChunks(tx: AssetsTx, assetId: bigint): Promise<AudioChunkRow[]> {
  return tx.delete(audioChunks).where(eq(audioChunks.assetId, assetId)).returning();
}

/** Whether a chunk row points at `object`: the staging object is recorded and must stay. */
export async function isChunkObjectRecorded(
  db: AssetsDatabase,
  assetId: bigint,
  object: string,
): Promise<boolean> {
  const [row] = await db
    .select({ index: audioChunks.index })
    .from(audioChunks)
    .where(and(eq(audioChunks.assetId, assetId), eq(audioChunks.object, object)));
  return row !== undefined;
}
