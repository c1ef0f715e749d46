import {
  AudioAssetCommandSubjects,
  VaultError,
  type AudioAsset,
  type CreateAssetCommand,
  type Principal,
  type StoredChunk,
} from '@media-vault/contracts';
import { enqueueEvents, runOnce } from '@media-vault/service-kit';
import type { AssetsDatabase } from '../db/index.js';
import type { AudioAssetRow, AudioChunkRow } from '../db/schema.js';
import { writableOrNotFound, writesAnyAsset } from './access.rules.js';
import { checkUploadable } from './asset-state.rules.js';
import { assetStatusEvent } from './asset.events.js';
import { toAudioAsset } from './asset.mapper.js';
import { findAsset, insertAsset, lockOwnAssetsByHash } from './asset.repository.js';
import {
  checkUploadSize,
  chunkCount,
  expectedChunkSize,
  objectBelongsToChunk,
} from './chunk-plan.rules.js';
import { commitChunkRow, listChunks } from './chunk.repository.js';
import { decideDedupe, DEDUPE_SOURCES } from './dedupe.rules.js';

export interface AssetLimits {
  readonly chunkSize: number;
  readonly maxSize: number;
}

/** Create (with its instant upload of the caller's own bytes) and the chunk plan it sets up. */
export class UploadUseCase {
  constructor(
    private readonly db: AssetsDatabase,
    private readonly limits: AssetLimits,
  ) {}

  /**
   * With an idempotency key the caller used before for the same request, answers what that create
   * answered and creates nothing.
   */
  async create(
    p: Principal,
    command: CreateAssetCommand,
  ): Promise<{ asset: AudioAsset; exists: boolean }> {
    const { idempotency_key: key, ...req } = command;
    const size = BigInt(req.size);
    checkUploadSize(size, this.limits.maxSize);
    const hash = req.hash.toLowerCase();
    // The request as it means, so that `"size": 5` and `"size": "5"` are the same request.
    const request = { name: req.name, size: size.toString(), hash };
    const call = { userId: p.id, key, subject: AudioAssetCommandSubjects.assetCreate, request };
    return this.db.transaction(async (tx) =>
      runOnce(tx, call, async () => {
        // Only the caller's own assets are read: another user's must not even shape the reply.
        const own = await lockOwnAssetsByHash(tx, p.id, hash, DEDUPE_SOURCES);
        const decision = decideDedupe(p, { size }, own);
        const source = decision.kind === 'copy' ? decision.source : undefined;
        const created = await insertAsset(
          tx,
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
                chunkCount: chunkCount(size, this.limits.chunkSize),
              },
        );
        await enqueueEvents(tx, [assetStatusEvent(created, null)]);
        return { asset: toAudioAsset(created), exists: Boolean(source) };
      }),
    );
  }

  async chunks(p: Principal, id: bigint): Promise<{ asset: AudioAssetRow; chunks: StoredChunk[] }> {
    const asset = writableOrNotFound(p, id, await findAsset(this.db, id));
    const rows = await listChunks(this.db, id);
    return {
      asset,
      chunks: rows.map((c) => ({ index: c.index, size: String(c.size), hash: c.hash })),
    };
  }

  /**
   * Records a chunk the gateway has streamed into staging (counted and hashed by the store): the
   * one request of a chunk upload, so every check of the caller, the asset and the plan is here.
   * A chunk stored before wins and the new object is surplus.
   */
  async chunkCommit(
    p: Principal,
    c: { id: bigint; index: number; object: string; size: number; hash: string },
  ): Promise<{ chunk: AudioChunkRow; duplicate: boolean }> {
    if (!objectBelongsToChunk(c.object, c.id, c.index)) {
      throw new VaultError('badRequest', 'object: does not belong to this chunk');
    }
    for (let attempt = 1; ; attempt++) {
      // One statement decides and writes (see commitChunkRow); the rules below give a refusal its
      // words, and a refused chunk was not recorded, nor the draft's expiry put off.
      const { asset, accepted, inserted, stored } = await commitChunkRow(this.db, {
        assetId: c.id,
        index: c.index,
        object: c.object,
        size: c.size,
        hash: c.hash,
        userId: p.id,
        anyUser: writesAnyAsset(p),
      });
      const target = writableOrNotFound(p, c.id, asset);
      checkUploadable(target);
      const expected = expectedChunkSize(target, c.index);
      if (c.size > expected) {
        throw new VaultError('badRequest', `chunk ${c.index} is larger than its ${expected} bytes`);
      }
      if (c.size !== expected) {
        throw new VaultError(
          'badRequest',
          `chunk ${c.index} has ${c.size} bytes; expected ${expected}`,
        );
      }
      if (!accepted) {
        // The statement and the rules above disagree about this asset: a bug, not the client's.
        throw new Error(`chunk commit: asset ${c.id} passed the rules but the statement refused`);
      }
      if (inserted) return { chunk: inserted, duplicate: false };
      if (stored) return { chunk: stored, duplicate: true };
      // A commit of the same index held the asset first and stored its row after this
      // statement's snapshot was taken: the next statement sees it, the asset checked afresh.
      if (attempt === 3) {
        throw new VaultError('conflict', `chunk ${c.index} kept changing; send it again`);
      }
    }
  }
}
