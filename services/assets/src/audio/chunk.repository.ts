import { and, asc, eq, sql } from 'drizzle-orm';
import type { AssetsDatabase } from '../db/index.js';
import { audioAssets, audioChunks, type AudioAssetRow, type AudioChunkRow } from '../db/schema.js';
import type { AssetsTx } from '../db/transaction.js';

export type NewAudioChunk = typeof audioChunks.$inferInsert;

export async function listChunks(db: AssetsDatabase, assetId: bigint): Promise<AudioChunkRow[]> {
  return db
    .select()
    .from(audioChunks)
    .where(eq(audioChunks.assetId, assetId))
    .orderBy(asc(audioChunks.index));
}

/** What one chunk commit read and wrote: the asset as locked, and the chunk row. */
export interface ChunkCommitResult {
  /** The asset, locked; undefined when there is none. */
  readonly asset:
    | {
        readonly id: bigint;
        readonly userId: string;
        readonly status: AudioAssetRow['status'];
        readonly merged: boolean;
        readonly size: bigint;
        readonly chunkSize: number;
        readonly chunkCount: number;
      }
    | undefined;
  /** Whether the asset took the chunk: then either row below is set, or a racing commit's was. */
  readonly accepted: boolean;
  /** The row this commit stored. */
  readonly inserted: AudioChunkRow | undefined;
  /**
   * The row of this index stored before, as far as the statement's snapshot shows it: a commit of
   * the same index that held the asset first and committed while this one waited is not in it.
   */
  readonly stored: AudioChunkRow | undefined;
}

/**
 * Records a chunk in one statement, so one round trip to Postgres and no BEGIN/COMMIT of its own:
 * locks the asset (FOR NO KEY UPDATE, the lock an UPDATE of it takes, so a merge or delete of the
 * asset waits for this commit or this commit for it), and only when the asset takes this chunk,
 * as `takesChunks`, `canWrite` and `expectedChunkSize` decide (the use case runs those on the
 * returned asset for the refusal's words), marks the asset touched (a chunk arriving keeps the
 * draft from expiring) and inserts the row unless its index is stored. A refused chunk writes
 * nothing.
 *
 * synchronous_commit is off for this statement's own transaction only (set_config's `true`): it
 * writes no outbox row, so no event can be published for a chunk a Postgres crash then loses; a
 * lost row is a chunk the client's resume list shows missing and uploads again, its object swept
 * as an orphan. Anything that later relies on the row (a merge reads it and commits its job and
 * event synchronously) flushes the WAL up to and past it first.
 */
export async function commitChunkRow(
  db: AssetsDatabase,
  c: NewAudioChunk & { readonly userId: string; readonly anyUser: boolean },
): Promise<ChunkCommitResult> {
  const result = await db.execute(sql`
    with asset as (
      select id, user_id, status, merged, size, chunk_size, chunk_count
      from ${audioAssets} where id = ${String(c.assetId)}::bigint
      for no key update
    ),
    accepted as (
      select id, set_config('synchronous_commit', 'off', true) from asset
      where status = 'DRAFT' and not merged
        and (user_id = ${c.userId} or ${c.anyUser}::boolean)
        and ${c.index}::int < chunk_count
        and ${c.size}::int = least(chunk_size::bigint, size - ${c.index}::bigint * chunk_size)
    ),
    touched as (
      update ${audioAssets} set updated_at = now() from accepted
      where ${audioAssets}.id = accepted.id
    ),
    inserted as (
      insert into ${audioChunks} (asset_id, "index", object, size, hash)
      select id, ${c.index}::int, ${c.object}, ${c.size}::int, ${c.hash} from accepted
      on conflict do nothing
      returning object, size, hash, created_at
    ),
    stored as (
      select object, size, hash, created_at from ${audioChunks}
      where asset_id = (select id from accepted) and "index" = ${c.index}::int
    )
    select asset.id::text, accepted.id is not null as accepted, asset.user_id, asset.status, asset.merged, asset.size::text,
      asset.chunk_size, asset.chunk_count,
      inserted.object as inserted_object, inserted.size as inserted_size,
      inserted.hash as inserted_hash, inserted.created_at::text as inserted_at,
      stored.object as stored_object, stored.size as stored_size,
      stored.hash as stored_hash, stored.created_at::text as stored_at
    from asset left join accepted on true left join inserted on true left join stored on true
  `);
  // postgres.js answers with the rows, PGlite with an object holding them.
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<
    Record<string, unknown>
  >;
  const row = rows[0];
  if (!row) return { asset: undefined, accepted: false, inserted: undefined, stored: undefined };
  const chunk = (prefix: 'inserted' | 'stored'): AudioChunkRow | undefined =>
    row[`${prefix}_object`] == null
      ? undefined
      : {
          assetId: c.assetId,
          index: c.index,
          object: String(row[`${prefix}_object`]),
          size: Number(row[`${prefix}_size`]),
          hash: String(row[`${prefix}_hash`]),
          // Read as text and mapped by the column itself, as drizzle's own selects are.
          createdAt: audioChunks.createdAt.mapFromDriverValue(String(row[`${prefix}_at`])) as Date,
        };
  return {
    asset: {
      id: BigInt(String(row.id)),
      userId: String(row.user_id),
      status: row.status as AudioAssetRow['status'],
      merged: row.merged === true,
      size: BigInt(String(row.size)),
      chunkSize: Number(row.chunk_size),
      chunkCount: Number(row.chunk_count),
    },
    accepted: row.accepted === true,
    inserted: chunk('inserted'),
    stored: chunk('stored'),
  };
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
