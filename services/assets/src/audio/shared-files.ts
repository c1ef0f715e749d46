import type { AssetFile } from '@media-vault/contracts';
import { and, asc, eq, ne, sql } from 'drizzle-orm';
import type { AssetsDatabase } from '../db/index.js';
import { audioAssets, type AudioAssetRow } from '../db/schema.js';

type Tx = Parameters<Parameters<AssetsDatabase['transaction']>[0]>[0];

/**
 * After a merge has checked the uploaded bytes against the asset's hash, an asset of anyone
 * holding the same original (same hash, same CID) has the very renditions this one needs: the
 * platform keeps one set of them. This is the only place another user's files are reused, and only
 * once the caller has proven it holds the bytes by uploading them (SPEC §11). IPFS already stores
 * the identical original once.
 *
 * Returns the files the asset keeps and the CIDs of its new renditions that nothing uses now.
 */
export async function shareVerifiedFiles(
  tx: Tx,
  asset: AudioAssetRow,
  merged: readonly AssetFile[],
): Promise<{ files: AssetFile[]; unpin: string[] }> {
  const original = merged.find((f) => f.file === 0);
  if (!original) return { files: [...merged], unpin: [] };
  // FOR SHARE holds off a concurrent delete of the twin until this commit: it then sees the files
  // are still used and does not unpin them.
  const [twin] = await tx
    .select()
    .from(audioAssets)
    .where(
      and(
        ne(audioAssets.id, asset.id),
        eq(audioAssets.hash, asset.hash),
        ne(audioAssets.status, 'DELETE'),
        sql`${audioAssets.files} @> ${JSON.stringify([{ file: 0, cid: original.cid }])}::jsonb`,
      ),
    )
    .orderBy(asc(audioAssets.id))
    .limit(1)
    .for('share');
  if (!twin || twin.files.length !== merged.length) return { files: [...merged], unpin: [] };
  const kept = new Set(twin.files.map((f) => f.cid));
  const surplus = [...new Set(merged.map((f) => f.cid).filter((cid) => !kept.has(cid)))];
  const unused: string[] = [];
  for (const cid of surplus) {
    const [user] = await tx
      .select({ id: audioAssets.id })
      .from(audioAssets)
      .where(
        and(
          ne(audioAssets.status, 'DELETE'),
          sql`${audioAssets.files} @> ${JSON.stringify([{ cid }])}::jsonb`,
        ),
      )
      .limit(1);
    if (!user) unused.push(cid);
  }
  return { files: twin.files, unpin: unused };
}
