import type { AssetStatus } from '@media-vault/contracts';
import { and, asc, count, desc, eq, ilike, inArray, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import type { AssetsDatabase } from '../db/index.js';
import { audioAssets, type AudioAssetRow } from '../db/schema.js';
import type { AssetsTx } from '../db/transaction.js';
import type { AssetFilter } from './listing.rules.js';

export type NewAudioAsset = typeof audioAssets.$inferInsert;

export interface AssetRowPage {
  readonly rows: AudioAssetRow[];
  readonly total: number;
}

const byId = (id: bigint) => eq(audioAssets.id, id);

const cidIn = (cid: string) => sql`${audioAssets.files} @> ${JSON.stringify([{ cid }])}::jsonb`;

export async function findAsset(
  db: AssetsDatabase,
  id: bigint,
): Promise<AudioAssetRow | undefined> {
  const [row] = await db.select().from(audioAssets).where(byId(id));
  return row;
}

/** FOR UPDATE: the row stays as read until the transaction ends. */
export async function lockAsset(tx: AssetsTx, id: bigint): Promise<AudioAssetRow | undefined> {
  const [row] = await tx.select().from(audioAssets).where(byId(id)).for('update');
  return row;
}

/**
 * The user's oldest asset of this hash in one of `statuses`, FOR SHARE: a delete of it waits
 * until the copy that shares its files is committed.
 */
export async function lockOwnAssetsByHash(
  tx: AssetsTx,
  userId: string,
  hash: string,
  statuses: readonly AssetStatus[],
): Promise<AudioAssetRow[]> {
  return tx
    .select()
    .from(audioAssets)
    .where(
      and(
        eq(audioAssets.hash, hash),
        eq(audioAssets.userId, userId),
        inArray(audioAssets.status, [...statuses]),
      ),
    )
    .orderBy(asc(audioAssets.id))
    .limit(1)
    .for('share');
}

/**
 * Another live asset of this hash whose original has this CID, FOR SHARE: a concurrent delete of
 * it waits, then sees its files still used.
 */
export async function lockTwin(
  tx: AssetsTx,
  exceptId: bigint,
  hash: string,
  originalCid: string,
): Promise<AudioAssetRow | undefined> {
  const [twin] = await tx
    .select()
    .from(audioAssets)
    .where(
      and(
        ne(audioAssets.id, exceptId),
        eq(audioAssets.hash, hash),
        ne(audioAssets.status, 'DELETE'),
        sql`${audioAssets.files} @> ${JSON.stringify([{ file: 0, cid: originalCid }])}::jsonb`,
      ),
    )
    .orderBy(asc(audioAssets.id))
    .limit(1)
    .for('share');
  return twin;
}

/** Whether an asset that is not deleted (other than `exceptId`) lists this CID among its files. */
export async function liveAssetUsesCid(
  tx: AssetsTx,
  cid: string,
  exceptId?: bigint,
): Promise<boolean> {
  const conditions = [ne(audioAssets.status, 'DELETE'), cidIn(cid)];
  if (exceptId !== undefined) conditions.push(ne(audioAssets.id, exceptId));
  const [user] = await tx
    .select({ id: audioAssets.id })
    .from(audioAssets)
    .where(and(...conditions))
    .limit(1);
  return Boolean(user);
}

export async function insertAsset(tx: AssetsTx, values: NewAudioAsset): Promise<AudioAssetRow> {
  const [row] = await tx.insert(audioAssets).values(values).returning();
  return row as AudioAssetRow;
}

/** Writes `changes` and marks the asset as touched now. */
export async function updateAsset(
  tx: AssetsTx,
  id: bigint,
  changes: Partial<NewAudioAsset>,
): Promise<AudioAssetRow> {
  const [row] = await tx
    .update(audioAssets)
    .set({ ...changes, updatedAt: new Date() })
    .where(byId(id))
    .returning();
  return row as AudioAssetRow;
}

const where = (filter: AssetFilter): SQL => {
  const conditions: SQL[] = [];
  if (filter.excludeDeleted) conditions.push(ne(audioAssets.status, 'DELETE'));
  if (filter.postOrOwnedBy !== undefined) {
    conditions.push(
      or(eq(audioAssets.status, 'POST'), eq(audioAssets.userId, filter.postOrOwnedBy)) as SQL,
    );
  }
  if (filter.nameLike !== undefined) conditions.push(ilike(audioAssets.name, filter.nameLike));
  if (filter.status !== undefined) conditions.push(eq(audioAssets.status, filter.status));
  if (filter.userId !== undefined) conditions.push(eq(audioAssets.userId, filter.userId));
  return and(...conditions) as SQL;
};

/** Newest first, with the total that matches. */
export async function pageAssets(
  db: AssetsDatabase,
  filter: AssetFilter,
  offset: number,
  limit: number,
): Promise<AssetRowPage> {
  const condition = where(filter);
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(audioAssets)
      .where(condition)
      .orderBy(desc(audioAssets.id))
      .offset(offset)
      .limit(limit),
    db.select({ n: count() }).from(audioAssets).where(condition),
  ]);
  return { rows, total: total?.n ?? 0 };
}

/** Unmerged drafts last touched before `cutoff`, at most `limit` of them. */
export async function staleDraftIds(
  db: AssetsDatabase,
  cutoff: Date,
  limit: number,
): Promise<bigint[]> {
  const rows = await db
    .select({ id: audioAssets.id })
    .from(audioAssets)
    .where(
      and(
        eq(audioAssets.status, 'DRAFT'),
        eq(audioAssets.merged, false),
        lt(audioAssets.updatedAt, cutoff),
      ),
    )
    .limit(limit);
  return rows.map((r) => r.id);
}
