import {
  AudioAssetCommandSubjects as S,
  VaultError,
  type CommandResponse,
} from '@media-vault/contracts';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';

const tooLarge = (index: number, expected: number) =>
  new VaultError('badRequest', `chunk ${index} is larger than its ${expected} bytes`);

export type ChunkResult = CommandResponse<typeof S.assetChunkCommit>;

/**
 * Streams one chunk into the staging bucket while counting and hashing it, then asks the assets
 * service to record it. Bytes go to a fresh object name per attempt, so a failed or duplicate
 * attempt is deleted without touching a chunk that is already stored. Nothing is buffered beyond
 * what the object store client holds for one of its own chunks.
 */
export class ChunkUploader {
  private readonly stores = new Map<string, Promise<ObjectStore>>();
  private readonly objm: Objm;

  constructor(
    private readonly app: FastifyInstance,
    nc: NatsConnection,
  ) {
    this.objm = new Objm(nc);
  }

  private store(bucket: string): Promise<ObjectStore> {
    let store = this.stores.get(bucket);
    if (!store) {
      store = this.objm.open(bucket);
      store.catch(() => this.stores.delete(bucket));
      this.stores.set(bucket, store);
    }
    return store;
  }

  async upload(
    request: FastifyRequest,
    target: { id: string; index: number; hash?: string | undefined },
    source: AsyncIterable<Uint8Array>,
  ): Promise<ChunkResult> {
    const begin = await this.app.command(request, S.assetChunkBegin, {
      id: target.id,
      index: target.index,
    });
    const claimed = target.hash?.toLowerCase();
    if (begin.alreadyStored) {
      // Re-sending a stored chunk is a no-op; the body is read and dropped so the client's
      // connection stays usable, and the stored chunk is reported. It is counted all the same: a
      // body longer than the chunk is refused rather than read for as long as it is sent.
      let sent = 0;
      for await (const piece of source) {
        sent += piece.length;
        if (sent > begin.expectedSize) throw tooLarge(target.index, begin.expectedSize);
      }
      const { chunks } = await this.app.command(request, S.assetChunks, { id: target.id });
      const stored = chunks.find((c) => c.index === target.index);
      if (stored && claimed && stored.hash !== claimed) {
        throw new VaultError(
          'conflict',
          `chunk ${target.index} is already stored with hash ${stored.hash}; delete the draft to start over`,
        );
      }
      return {
        index: target.index,
        size: stored?.size ?? '0',
        hash: stored?.hash ?? '',
        duplicate: true,
      };
    }

    const store = await this.store(begin.bucket);
    const hasher = createHash('sha256');
    let size = 0;
    const counted = async function* () {
      for await (const piece of source) {
        size += piece.length;
        if (size > begin.expectedSize) throw tooLarge(target.index, begin.expectedSize);
        hasher.update(piece);
        yield piece;
      }
    };
    const discard = () => store.delete(begin.object).catch(() => undefined);
    try {
      await store.put({ name: begin.object }, ReadableStream.from(counted()));
    } catch (err) {
      await discard();
      if (err instanceof VaultError) throw err;
      const cause = (err as { cause?: unknown }).cause;
      if (cause instanceof VaultError) throw cause;
      throw err;
    }
    if (size !== begin.expectedSize) {
      await discard();
      throw new VaultError(
        'badRequest',
        `chunk ${target.index} has ${size} bytes; expected ${begin.expectedSize}`,
      );
    }
    const digest = hasher.digest('hex');
    if (claimed && claimed !== digest) {
      await discard();
      throw new VaultError(
        'badRequest',
        `chunk ${target.index} hash mismatch: sent ${claimed}, got ${digest}`,
      );
    }
    try {
      const committed = await this.app.command(request, S.assetChunkCommit, {
        id: target.id,
        index: target.index,
        object: begin.object,
        size,
        hash: digest,
      });
      if (committed.duplicate) {
        await discard();
        // Another upload of this index won the race; same bytes is a no-op, others a conflict.
        if (committed.hash !== digest) {
          throw new VaultError(
            'conflict',
            `chunk ${target.index} is already stored with hash ${committed.hash}; delete the draft to start over`,
          );
        }
      }
      return committed;
    } catch (err) {
      await discard();
      throw err;
    }
  }
}
