import {
  AudioAssetCommandSubjects as S,
  VaultError,
  type CommandResponse,
} from '@media-vault/contracts';
import {
  natsBuckets,
  ObjectContentError,
  ObjectExistsError,
  type ObjectStorePort,
} from '@media-vault/object-store';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const tooLarge = (index: number, expected: number) =>
  new VaultError('badRequest', `chunk ${index} is larger than its ${expected} bytes`);

export type ChunkResult = CommandResponse<typeof S.assetChunkCommit>;

/** The client's refusal in the words the chunk routes have always used. */
function contentRefusal(err: ObjectContentError, index: number, expected: number, sent?: string) {
  if (err.reason === 'sha256') {
    return new VaultError(
      'badRequest',
      `chunk ${index} hash mismatch: sent ${sent}, got ${err.measured.sha256}`,
    );
  }
  if (err.measured.size > expected) return tooLarge(index, expected);
  return new VaultError(
    'badRequest',
    `chunk ${index} has ${err.measured.size} bytes; expected ${expected}`,
  );
}

/**
 * Streams one chunk into the staging store, which counts and hashes it and keeps it only when it
 * has the planned size and the claimed hash, then asks the assets service to record it. Bytes go
 * to a fresh key per attempt (the store's keys are written once), so a failed or duplicate
 * attempt is deleted without touching a chunk that is already stored.
 */
export class ChunkUploader {
  private readonly buckets: { open(bucket: string): Promise<ObjectStorePort> };

  constructor(
    private readonly app: FastifyInstance,
    nc: NatsConnection,
  ) {
    this.buckets = natsBuckets(jetstream(nc));
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

    const store = await this.buckets.open(begin.bucket);
    const discard = () => store.delete(begin.object).catch(() => undefined);
    let stored;
    try {
      stored = await store.put(begin.object, source, {
        size: begin.expectedSize,
        ...(claimed === undefined ? {} : { sha256: claimed }),
      });
    } catch (err) {
      if (err instanceof ObjectContentError) {
        throw contentRefusal(err, target.index, begin.expectedSize, claimed);
      }
      // Keys are fresh per attempt: one that exists is another request's, not ours to delete.
      if (err instanceof ObjectExistsError) throw new VaultError('conflict', err.message);
      // The request body's own refusals (a multipart part cut short, too large a body) may come
      // back wrapped by the stream that carried them.
      const cause = (err as { cause?: unknown }).cause;
      if (!(err instanceof VaultError) && cause instanceof VaultError) throw cause;
      throw err;
    }
    const { size, sha256: digest } = stored;
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
