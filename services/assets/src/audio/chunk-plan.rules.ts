import { VaultError } from '@media-vault/contracts';

/** What the chunk plan needs to know of an asset. */
export interface ChunkPlan {
  readonly id: bigint;
  readonly size: bigint;
  readonly chunkSize: number;
  readonly chunkCount: number;
}

/** A new upload's size must be at least one byte and at most `maxSize`. */
export function checkUploadSize(size: bigint, maxSize: number): void {
  if (size < 1n) throw new VaultError('badRequest', 'size: an audio file has at least 1 byte');
  if (size > BigInt(maxSize)) {
    throw new VaultError('badRequest', `size: larger than the ${maxSize}-byte limit`);
  }
}

/** How many chunks of `chunkSize` carry `size` bytes (the last one may be shorter). */
export const chunkCount = (size: bigint, chunkSize: number): number =>
  Number((size + BigInt(chunkSize) - 1n) / BigInt(chunkSize));

/** The byte count chunk `index` must have; an index outside the plan is a bad request. */
export function expectedChunkSize(plan: ChunkPlan, index: number): number {
  if (index >= plan.chunkCount) {
    throw new VaultError(
      'badRequest',
      `index: ${index} is out of range; asset ${plan.id} has chunks 0 to ${plan.chunkCount - 1}`,
    );
  }
  const before = BigInt(index) * BigInt(plan.chunkSize);
  const rest = plan.size - before;
  return Number(rest < BigInt(plan.chunkSize) ? rest : BigInt(plan.chunkSize));
}

// A chunk's staging key is agreed with the gateway, which names it before streaming the bytes.
export { chunkObjectKey as chunkObjectName, objectBelongsToChunk } from '@media-vault/contracts';

/** The plan's indexes that are not among `present`, in order. */
export function missingChunks(count: number, present: Iterable<number>): number[] {
  const have = new Set(present);
  return [...Array(count).keys()].filter((i) => !have.has(i));
}

/** Names at most the first 20 missing chunks: a large plan's message stays short. */
export const describeMissing = (missing: readonly number[]): string =>
  missing.slice(0, 20).join(', ') + (missing.length > 20 ? ', …' : '');

/**
 * The asset and index a staging key names (`<asset>/<index>/<attempt>`), or undefined for a key
 * that no chunk upload writes.
 */
export function chunkOfObject(object: string): { id: bigint; index: number } | undefined {
  const match = /^([1-9][0-9]{0,18})\/(0|[1-9][0-9]{0,9})\/[^/]+$/.exec(object);
  if (!match) return undefined;
  return { id: BigInt(match[1]!), index: Number(match[2]) };
}
