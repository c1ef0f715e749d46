import {
  AssetBuckets,
  AudioAssetCommandSubjects as S,
  chunkObjectKey,
  MAX_ASSET_CHUNK_SIZE,
  VaultError,
  type CommandResponse,
} from '@media-vault/contracts';
import {
  ObjectContentError,
  ObjectExistsError,
  storeFailureOf,
  type StagingBuckets,
} from '@media-vault/object-store';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';

export type ChunkResult = CommandResponse<typeof S.assetChunkCommit>;

/**
 * The store's refusal in the words the chunk routes have always used. Size mismatches are the
 * assets service's to name (only it knows the plan); here only a body past any plan's size.
 */
function contentRefusal(err: ObjectContentError, index: number, sent?: string) {
  if (err.reason === 'sha256') {
    return new VaultError(
      'badRequest',
      `chunk ${index} hash mismatch: sent ${sent}, got ${err.measured.sha256}`,
    );
  }
  return new VaultError(
    'badRequest',
    `chunk ${index} is larger than ${MAX_ASSET_CHUNK_SIZE} bytes, more than any chunk plan allows`,
  );
}

/**
 * The staging store's backend failing (unreachable, a disk error, no space) is an outage the
 * client may retry through: 503, naming the store. Out of space is a 503 too, not a 507: the
 * client's chunk is fine and space comes back as merges and sweeps free it, and grpc-gateway
 * clients know no 507 (RESOURCE_EXHAUSTED would read as 429, the caller's own rate).
 */
function storeOutage(err: unknown): unknown {
  const failure = storeFailureOf(err);
  if (failure === undefined) return err;
  const message =
    failure === 'full'
      ? 'the chunk store is out of space; try again later'
      : failure === 'failed'
        ? 'the chunk store reported a storage error; try again shortly'
        : 'the chunk store is unreachable; try again shortly';
  return new VaultError('unavailable', message, { cause: err });
}

/**
 * Whether the service surely did not record the chunk: it refused it, or nobody answered. After a
 * time-out the chunk may be recorded, so its object must stay; the assets service frees it later
 * if no chunk row points at it.
 */
const surelyNotRecorded = (err: unknown): boolean =>
  err instanceof VaultError && (err.code < 500 || err.kind === 'unavailable');

/**
 * One chunk, one request to the assets service. The bytes stream into the staging store under a
 * fresh key (the store counts and hashes them, refuses a claimed hash that does not match, and
 * keeps nothing of a failed put); then `chunk.commit` checks the caller, the asset and the plan
 * and records it. Anything refused is deleted again, so it leaves nothing stored; a key is never
 * reused, so a failed or losing attempt cannot touch a chunk that is already stored.
 */
export class ChunkUploader {
  constructor(
    private readonly app: FastifyInstance,
    private readonly staging: StagingBuckets,
  ) {}

  async upload(
    request: FastifyRequest,
    target: { id: string; index: number; hash?: string | undefined },
    source: AsyncIterable<Uint8Array>,
  ): Promise<ChunkResult> {
    const claimed = target.hash?.toLowerCase();
    const object = chunkObjectKey(target.id, target.index, randomUUID());
    const store = await this.staging.open(AssetBuckets.chunks).catch((err: unknown) => {
      throw storeOutage(err);
    });
    let stored;
    try {
      stored = await store.put(object, source, {
        maxSize: MAX_ASSET_CHUNK_SIZE,
        ...(claimed === undefined ? {} : { sha256: claimed }),
      });
    } catch (err) {
      if (err instanceof ObjectContentError) throw contentRefusal(err, target.index, claimed);
      // Keys are fresh per attempt: one that exists is another request's, not ours to delete.
      if (err instanceof ObjectExistsError) throw new VaultError('conflict', err.message);
      // The request body's own refusals (a multipart part cut short, too large a body) may come
      // back wrapped by the stream that carried them.
      const cause = (err as { cause?: unknown }).cause;
      if (!(err instanceof VaultError) && cause instanceof VaultError) throw cause;
      throw storeOutage(err);
    }
    const discard = () => store.delete(object).catch(() => undefined);
    let committed: ChunkResult;
    try {
      committed = await this.app.command(request, S.assetChunkCommit, {
        id: target.id,
        index: target.index,
        object,
        size: stored.size,
        hash: stored.sha256,
      });
    } catch (err) {
      if (surelyNotRecorded(err)) await discard();
      throw err;
    }
    if (committed.duplicate) {
      await discard();
      // Stored before, by an earlier or a racing request: the same bytes are a no-op, others a
      // conflict ("duplicate" would tell the client its bytes are in).
      if (committed.hash !== stored.sha256) {
        throw new VaultError(
          'conflict',
          `chunk ${target.index} is already stored with hash ${committed.hash}; delete the draft to start over`,
        );
      }
    }
    return committed;
  }
}
