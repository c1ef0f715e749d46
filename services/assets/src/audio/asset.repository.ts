import {
  AssetBuckets,
  AssetJobSubjects,
  AudioAssetEventTypes,
  EventSubjects,
  VaultError,
  type AssetStatus,
  type AudioAsset,
  type AudioAssetEvent,
  type CleanupJob,
  type MergedJob,
  type MergeJob,
  type Principal,
  type StoredChunk,
  type UnpinJob,
} from '@media-vault/contracts';
import { enqueueEvents, newEventId, type OutboxEvent } from '@media-vault/service-kit';
import { and, asc, count, desc, eq, ilike, inArray, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { AssetsDatabase } from '../db/index.js';
import {
  audioAssets,
  audioChunks,
  audioReviews,
  type AudioAssetRow,
  type AudioChunkRow,
} from '../db/schema.js';
import { canSee, canWrite, isReviewer, notFound } from './access.js';
import { toAudioAsset } from './asset.mapper.js';
import { decideDedupe, DEDUPE_SOURCES } from './dedupe-rule.js';
import { shareVerifiedFiles } from './shared-files.js';
import { ReviewTransitions, type ReviewAction } from './review-transitions.js';

type Tx = Parameters<Parameters<AssetsDatabase['transaction']>[0]>[0];

export interface AssetLimits {
  readonly chunkSize: number;
  readonly maxSize: number;
}

export interface Page {
  readonly items: AudioAsset[];
  readonly total: string;
}

const statusEvent = (row: AudioAssetRow, previous: AssetStatus | null): OutboxEvent => {
  const payload: AudioAssetEvent = {
    id: newEventId(),
    type: AudioAssetEventTypes.status,
    at: new Date().toISOString(),
    previous_status: previous,
    status: row.status,
    record: toAudioAsset(row),
  };
  return { subject: EventSubjects.audioAsset(row.id.toString()), payload };
};

const job = (subject: string, payload: { id: string } & object): OutboxEvent => ({
  subject,
  payload,
});

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The audio asset state machine. Every change and the events and jobs it causes are written in
 * one transaction; the outbox relay publishes them.
 */
export class AssetRepository {
  constructor(
    private readonly db: AssetsDatabase,
    private readonly limits: AssetLimits,
  ) {}

  async create(
    p: Principal,
    req: { name: string; size: string | number; hash: string },
  ): Promise<{ asset: AudioAsset; exists: boolean }> {
    const size = BigInt(req.size);
    if (size < 1n) throw new VaultError('badRequest', 'size: an audio file has at least 1 byte');
    if (size > BigInt(this.limits.maxSize)) {
      throw new VaultError('badRequest', `size: larger than the ${this.limits.maxSize}-byte limit`);
    }
    const hash = req.hash.toLowerCase();
    return this.db.transaction(async (tx) => {
      // Only the caller's own assets are read: another user's must not even shape the reply.
      const own = await tx
        .select()
        .from(audioAssets)
        .where(
          and(
            eq(audioAssets.hash, hash),
            eq(audioAssets.userId, p.id),
            inArray(audioAssets.status, [...DEDUPE_SOURCES]),
          ),
        )
        .orderBy(asc(audioAssets.id))
        .limit(1)
        // Holds off a delete of the source until the copy that shares its files is committed.
        .for('share');
      const decision = decideDedupe(p, { size }, own);
      const source = decision.kind === 'copy' ? decision.source : undefined;
      const chunkCount = Number(
        (size + BigInt(this.limits.chunkSize) - 1n) / BigInt(this.limits.chunkSize),
      );
      const [row] = await tx
        .insert(audioAssets)
        .values(
          source
            ? {
                userId: p.id,
                name: req.name,
                size,
                hash,
                status: 'SUBMIT',
                chunkSize: source.chunkSize,
                chunkCount: source.chunkCount,
                merged: true,
                probe: source.probe,
                files: source.files,
              }
            : {
                userId: p.id,
                name: req.name,
                size,
                hash,
                status: 'DRAFT',
                chunkSize: this.limits.chunkSize,
                chunkCount,
              },
        )
        .returning();
      const created = row as AudioAssetRow;
      await enqueueEvents(tx, [statusEvent(created, null)]);
      return { asset: toAudioAsset(created), exists: Boolean(source) };
    });
  }

  /** The asset as stored, whoever owns it: what the permission check decides on. */
  async row(id: bigint): Promise<AudioAssetRow | undefined> {
    const [row] = await this.db.select().from(audioAssets).where(eq(audioAssets.id, id));
    return row;
  }

  private async lockOwn(tx: Tx, p: Principal, id: bigint): Promise<AudioAssetRow> {
    const [row] = await tx.select().from(audioAssets).where(eq(audioAssets.id, id)).for('update');
    if (!row || row.status === 'DELETE' || !canWrite(p, row)) throw notFound(id);
    return row;
  }

  private async findOwn(p: Principal, id: bigint): Promise<AudioAssetRow> {
    const [row] = await this.db.select().from(audioAssets).where(eq(audioAssets.id, id));
    if (!row || row.status === 'DELETE' || !canWrite(p, row)) throw notFound(id);
    return row;
  }

  async chunks(p: Principal, id: bigint): Promise<{ asset: AudioAssetRow; chunks: StoredChunk[] }> {
    const asset = await this.findOwn(p, id);
    const rows = await this.db
      .select()
      .from(audioChunks)
      .where(eq(audioChunks.assetId, id))
      .orderBy(asc(audioChunks.index));
    return {
      asset,
      chunks: rows.map((c) => ({ index: c.index, size: String(c.size), hash: c.hash })),
    };
  }

  private expectedChunkSize(asset: AudioAssetRow, index: number): number {
    if (index >= asset.chunkCount) {
      throw new VaultError(
        'badRequest',
        `index: ${index} is out of range; asset ${asset.id} has chunks 0 to ${asset.chunkCount - 1}`,
      );
    }
    const before = BigInt(index) * BigInt(asset.chunkSize);
    const rest = asset.size - before;
    return Number(rest < BigInt(asset.chunkSize) ? rest : BigInt(asset.chunkSize));
  }

  private assertUploadable(asset: AudioAssetRow): void {
    if (asset.status !== 'DRAFT' || asset.merged) {
      const state = asset.status === 'DRAFT' ? 'a merged DRAFT' : asset.status;
      throw new VaultError(
        'conflict',
        `asset ${asset.id} is ${state}; chunks go only to an unmerged DRAFT`,
      );
    }
  }

  async chunkBegin(
    p: Principal,
    id: bigint,
    index: number,
  ): Promise<{ expectedSize: number; existing: AudioChunkRow | undefined; object: string }> {
    const asset = await this.findOwn(p, id);
    this.assertUploadable(asset);
    const expectedSize = this.expectedChunkSize(asset, index);
    const [existing] = await this.db
      .select()
      .from(audioChunks)
      .where(and(eq(audioChunks.assetId, id), eq(audioChunks.index, index)));
    return { expectedSize, existing, object: `${id}/${index}/${randomUUID()}` };
  }

  /** Records a verified chunk; a chunk stored before wins and the new object is surplus. */
  async chunkCommit(
    p: Principal,
    c: { id: bigint; index: number; object: string; size: number; hash: string },
  ): Promise<{ chunk: AudioChunkRow; duplicate: boolean }> {
    if (!c.object.startsWith(`${c.id}/${c.index}/`)) {
      throw new VaultError('badRequest', 'object: does not belong to this chunk');
    }
    return this.db.transaction(async (tx) => {
      const asset = await this.lockOwn(tx, p, c.id);
      this.assertUploadable(asset);
      const expected = this.expectedChunkSize(asset, c.index);
      if (c.size !== expected) {
        throw new VaultError(
          'badRequest',
          `chunk ${c.index} has ${c.size} bytes; expected ${expected}`,
        );
      }
      const [inserted] = await tx
        .insert(audioChunks)
        .values({ assetId: c.id, index: c.index, object: c.object, size: c.size, hash: c.hash })
        .onConflictDoNothing()
        .returning();
      if (inserted) {
        await tx.update(audioAssets).set({ updatedAt: new Date() }).where(eq(audioAssets.id, c.id));
        return { chunk: inserted, duplicate: false };
      }
      const [existing] = await tx
        .select()
        .from(audioChunks)
        .where(and(eq(audioChunks.assetId, c.id), eq(audioChunks.index, c.index)));
      return { chunk: existing as AudioChunkRow, duplicate: true };
    });
  }

  /** All chunks present → MERGING and one merge job; a second call while merging changes nothing. */
  async merge(p: Principal, id: bigint, submit: boolean): Promise<AudioAsset> {
    return this.db.transaction(async (tx) => {
      const asset = await this.lockOwn(tx, p, id);
      if (asset.status === 'MERGING') return toAudioAsset(asset);
      if (asset.status !== 'DRAFT') {
        throw new VaultError(
          'conflict',
          `asset ${id} is ${asset.status}; only a DRAFT can be merged`,
        );
      }
      if (asset.merged) {
        throw new VaultError('conflict', `asset ${id} is already merged; submit it instead`);
      }
      const chunks = await tx
        .select()
        .from(audioChunks)
        .where(eq(audioChunks.assetId, id))
        .orderBy(asc(audioChunks.index));
      if (chunks.length !== asset.chunkCount) {
        const have = new Set(chunks.map((c) => c.index));
        const missing = [...Array(asset.chunkCount).keys()].filter((i) => !have.has(i));
        const shown = missing.slice(0, 20).join(', ') + (missing.length > 20 ? ', …' : '');
        throw new VaultError('badRequest', `asset ${id} is missing chunks ${shown}`);
      }
      const jobId = randomUUID();
      const [row] = await tx
        .update(audioAssets)
        .set({
          status: 'MERGING',
          mergeJobId: jobId,
          submitOnMerge: submit,
          reason: '',
          updatedAt: new Date(),
        })
        .where(eq(audioAssets.id, id))
        .returning();
      const merging = row as AudioAssetRow;
      const mergeJob: MergeJob = {
        id: jobId,
        assetId: id.toString(),
        hash: asset.hash,
        size: Number(asset.size),
        bucket: AssetBuckets.chunks,
        chunks: chunks.map((c) => ({ index: c.index, object: c.object, size: c.size })),
      };
      await enqueueEvents(tx, [
        statusEvent(merging, 'DRAFT'),
        job(AssetJobSubjects.merge, mergeJob),
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
      const [asset] = await tx
        .select()
        .from(audioAssets)
        .where(eq(audioAssets.id, id))
        .for('update');
      if (!asset || asset.status !== 'MERGING' || asset.mergeJobId !== result.id) return false;
      let unpinCids: string[] = [];
      let update;
      if (result.ok) {
        const shared = await shareVerifiedFiles(tx, asset, result.files);
        unpinCids = shared.unpin;
        update = {
          status: (asset.submitOnMerge ? 'SUBMIT' : 'DRAFT') as AssetStatus,
          merged: true,
          probe: result.probe,
          files: shared.files,
          reason: '',
        };
      } else {
        update = {
          status: 'DRAFT' as AssetStatus,
          reason: `merge failed: ${result.reason}; upload the chunks again`,
        };
      }
      const [row] = await tx
        .update(audioAssets)
        .set({ ...update, mergeJobId: null, updatedAt: new Date() })
        .where(eq(audioAssets.id, id))
        .returning();
      const events = [statusEvent(row as AudioAssetRow, 'MERGING')];
      events.push(...(await this.freeChunks(tx, id)));
      if (unpinCids.length > 0) {
        const unpin: UnpinJob = { id: randomUUID(), cids: unpinCids };
        events.push(job(AssetJobSubjects.unpin, unpin));
      }
      await enqueueEvents(tx, events);
      return true;
    });
  }

  /** Deletes the chunk rows and schedules their objects for deletion. */
  private async freeChunks(tx: Tx, id: bigint): Promise<OutboxEvent[]> {
    const removed = await tx.delete(audioChunks).where(eq(audioChunks.assetId, id)).returning();
    if (removed.length === 0) return [];
    const cleanup: CleanupJob = {
      id: randomUUID(),
      bucket: AssetBuckets.chunks,
      objects: removed.map((c) => c.object),
    };
    return [job(AssetJobSubjects.cleanup, cleanup)];
  }

  /** CIDs of `row` that no other live asset shares: safe to unpin. */
  private async unpinIfUnreferenced(tx: Tx, row: AudioAssetRow): Promise<OutboxEvent[]> {
    const cids = [...new Set(row.files.map((f) => f.cid))];
    const orphaned: string[] = [];
    for (const cid of cids) {
      const [other] = await tx
        .select({ id: audioAssets.id })
        .from(audioAssets)
        .where(
          and(
            ne(audioAssets.id, row.id),
            ne(audioAssets.status, 'DELETE'),
            sql`${audioAssets.files} @> ${JSON.stringify([{ cid }])}::jsonb`,
          ),
        )
        .limit(1);
      if (!other) orphaned.push(cid);
    }
    if (orphaned.length === 0) return [];
    const unpin: UnpinJob = { id: randomUUID(), cids: orphaned };
    return [job(AssetJobSubjects.unpin, unpin)];
  }

  async submit(p: Principal, id: bigint): Promise<AudioAsset> {
    return this.db.transaction(async (tx) => {
      const asset = await this.lockOwn(tx, p, id);
      if (asset.status !== 'DRAFT' || !asset.merged) {
        throw new VaultError(
          'conflict',
          `asset ${id} is ${asset.status}${asset.merged ? '' : ' and not merged'}; only a merged DRAFT can be submitted`,
        );
      }
      const [row] = await tx
        .update(audioAssets)
        .set({ status: 'SUBMIT', updatedAt: new Date() })
        .where(eq(audioAssets.id, id))
        .returning();
      await enqueueEvents(tx, [statusEvent(row as AudioAssetRow, 'DRAFT')]);
      return toAudioAsset(row as AudioAssetRow);
    });
  }

  /** Removes the caller's own DRAFT or REJECT asset and frees what it stored. */
  async deleteOwn(p: Principal, id: bigint, status: 'DRAFT' | 'REJECT'): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [asset] = await tx
        .select()
        .from(audioAssets)
        .where(eq(audioAssets.id, id))
        .for('update');
      // Own only, even for root: these are the user's own clean-up operations.
      if (!asset || asset.userId !== p.id || asset.status === 'DELETE') throw notFound(id);
      if (asset.status !== status) {
        throw new VaultError('conflict', `asset ${id} is ${asset.status}, not ${status}`);
      }
      await this.remove(tx, asset);
    });
  }

  private async remove(tx: Tx, asset: AudioAssetRow): Promise<void> {
    const events = [
      ...(await this.freeChunks(tx, asset.id)),
      ...(await this.unpinIfUnreferenced(tx, asset)),
    ];
    const [row] = await tx
      .update(audioAssets)
      .set({ status: 'DELETE', updatedAt: new Date() })
      .where(eq(audioAssets.id, asset.id))
      .returning();
    events.unshift(statusEvent(row as AudioAssetRow, asset.status));
    await enqueueEvents(tx, events);
  }

  async listOwn(
    p: Principal,
    uid: string,
    status: AssetStatus,
    offset: number,
    limit: number,
  ): Promise<Page> {
    if (uid !== p.id) {
      throw new VaultError('forbidden', `you can list only your own assets (user ${p.id})`);
    }
    return this.page(
      and(eq(audioAssets.userId, uid), eq(audioAssets.status, status)) as SQL,
      offset,
      limit,
    );
  }

  async find(
    p: Principal,
    q: { name?: string | undefined; status?: AssetStatus | undefined; owner?: string | undefined },
    offset: number,
    limit: number,
  ): Promise<Page> {
    const conditions: SQL[] = [ne(audioAssets.status, 'DELETE')];
    if (!isReviewer(p)) {
      conditions.push(or(eq(audioAssets.status, 'POST'), eq(audioAssets.userId, p.id)) as SQL);
    }
    if (q.name) conditions.push(ilike(audioAssets.name, `%${escapeLike(q.name)}%`));
    if (q.status) conditions.push(eq(audioAssets.status, q.status));
    if (q.owner) conditions.push(eq(audioAssets.userId, q.owner));
    return this.page(and(...conditions) as SQL, offset, limit);
  }

  private async page(where: SQL, offset: number, limit: number): Promise<Page> {
    const [rows, [total]] = await Promise.all([
      this.db
        .select()
        .from(audioAssets)
        .where(where)
        .orderBy(desc(audioAssets.id))
        .offset(offset)
        .limit(limit),
      this.db.select({ n: count() }).from(audioAssets).where(where),
    ]);
    return { items: rows.map(toAudioAsset), total: String(total?.n ?? 0) };
  }

  async get(p: Principal, id: bigint): Promise<AudioAssetRow> {
    const [row] = await this.db.select().from(audioAssets).where(eq(audioAssets.id, id));
    if (!row || !canSee(p, row)) throw notFound(id);
    return row;
  }

  async review(p: Principal, id: bigint, action: ReviewAction, reason = ''): Promise<AudioAsset> {
    const rule = ReviewTransitions[action];
    return this.db.transaction(async (tx) => {
      const [asset] = await tx
        .select()
        .from(audioAssets)
        .where(eq(audioAssets.id, id))
        .for('update');
      if (!asset || asset.status === 'DELETE') throw notFound(id);
      if (!(rule.from as readonly AssetStatus[]).includes(asset.status)) {
        throw new VaultError(
          'conflict',
          `asset ${id} is ${asset.status}; ${action} needs ${rule.from.join(' or ')}`,
        );
      }
      await tx.insert(audioReviews).values({
        assetId: id,
        reviewerId: p.id,
        fromStatus: asset.status,
        toStatus: rule.to,
        reason,
      });
      if (rule.to === 'DELETE') {
        await this.remove(tx, asset);
        const [deleted] = await tx.select().from(audioAssets).where(eq(audioAssets.id, id));
        return toAudioAsset(deleted as AudioAssetRow);
      }
      const [row] = await tx
        .update(audioAssets)
        .set({
          status: rule.to,
          reason: action === 'reject' ? reason : asset.reason,
          updatedAt: new Date(),
        })
        .where(eq(audioAssets.id, id))
        .returning();
      await enqueueEvents(tx, [statusEvent(row as AudioAssetRow, asset.status)]);
      return toAudioAsset(row as AudioAssetRow);
    });
  }

  /** Deletes unmerged drafts nobody touched for `ttlMs`, freeing their chunks. Returns how many. */
  async expireDrafts(ttlMs: number): Promise<number> {
    const cutoff = new Date(Date.now() - ttlMs);
    const stale = await this.db
      .select({ id: audioAssets.id })
      .from(audioAssets)
      .where(
        and(
          eq(audioAssets.status, 'DRAFT'),
          eq(audioAssets.merged, false),
          lt(audioAssets.updatedAt, cutoff),
        ),
      )
      .limit(500);
    let expired = 0;
    for (const { id } of stale) {
      const done = await this.db.transaction(async (tx) => {
        const [asset] = await tx
          .select()
          .from(audioAssets)
          .where(eq(audioAssets.id, id))
          .for('update');
        // Re-checked under the lock: a chunk may have arrived since the scan.
        if (!asset || asset.status !== 'DRAFT' || asset.merged || asset.updatedAt >= cutoff)
          return false;
        await this.remove(tx, asset);
        return true;
      });
      if (done) expired++;
    }
    return expired;
  }
}
