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

/** A chunk's staging object: a fresh name under `<asset>/<index>/`, so racing uploads never clash. */
export const chunkObjectName = (id: bigint, index: number, unique: string): string =>
  `${id}/${index}/${unique}`;

/** Whether `object` was named for chunk `index` of asset `id`. */
export const objectBelongsToChunk = (object: string, id: bigint, index: number): boolean =>
  object.startsWith(`${id}/${index}/`);

/** The plan's indexes that are not among `present`, in order. */
export function missingChunks(count: number, present: Iterable<number>): number[] {
  const have = new Set(present);
  return [...Array(count).keys()].filter((i) => !have.has(i));
}

/** Names at most the first 20 missing chunks: a large plan's message stays short. */
export const describeMissing = (missing: readonly number[]): string =>
  missing.slice(0, 20).join(', ') + (missing.length > 20 ? ', …' : '');
