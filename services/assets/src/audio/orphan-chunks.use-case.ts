import type { ObjectStorePort } from '@media-vault/object-store';
import type { AssetsDatabase } from '../db/index.js';
import { chunkOfObject } from './chunk-plan.rules.js';
import { isChunkObjectRecorded } from './chunk.repository.js';

/**
 * Frees staging objects no chunk row points at. The gateway stores a chunk before the assets
 * service records it; a gateway that dies in between, a commit that timed out, or a refused
 * attempt whose delete failed leaves an object behind. Only objects older than `graceMs` are
 * looked at, so an upload whose commit is on its way is never taken for an orphan.
 */
export class OrphanChunksUseCase {
  constructor(
    private readonly db: AssetsDatabase,
    private readonly chunks: ObjectStorePort,
  ) {}

  /** Returns how many objects were deleted. */
  async sweep(graceMs: number, now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - graceMs);
    let deleted = 0;
    for await (const object of this.chunks.list()) {
      if (object.modified >= cutoff) continue;
      const chunk = chunkOfObject(object.key);
      if (chunk && (await isChunkObjectRecorded(this.db, chunk.id, object.key))) continue;
      if (await this.chunks.delete(object.key)) deleted++;
    }
    return deleted;
  }
}
