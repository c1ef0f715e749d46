/** GCM tag appended to every sealed segment. */
export const SEGMENT_TAG_LENGTH = 16;
export const DEFAULT_SEGMENT_SIZE = 4 * 1024 * 1024;
/** Large enough for any sensible master, small enough that "one segment in memory" stays small. */
export const MAX_SEGMENT_SIZE = 64 * 1024 * 1024;

/** Where every segment of a sealed master starts and how long it is, from two numbers. */
export interface SealedLayout {
  readonly plaintextSize: number;
  readonly segmentSize: number;
  /** At least 1: an empty master still gets one (empty) authenticated segment. */
  readonly segmentCount: number;
  /** plaintextSize + 16 bytes of tag per segment. */
  readonly publicBlockSize: number;
}

export function sealedLayout(
  plaintextSize: number,
  segmentSize: number = DEFAULT_SEGMENT_SIZE,
): SealedLayout {
  checkSegmentSize(segmentSize);
  if (!Number.isSafeInteger(plaintextSize) || plaintextSize < 0) {
    throw new RangeError(`plaintext size ${plaintextSize} is not a non-negative safe integer`);
  }
  // One segment even for an empty master, so that the public block is never empty and there is
  // always a tag that proves "this is the whole thing".
  const segmentCount = Math.max(1, Math.ceil(plaintextSize / segmentSize));
  const publicBlockSize = plaintextSize + segmentCount * SEGMENT_TAG_LENGTH;
  if (!Number.isSafeInteger(publicBlockSize)) {
    throw new RangeError(`plaintext size ${plaintextSize} is too large to seal`);
  }
  return { plaintextSize, segmentSize, segmentCount, publicBlockSize };
}

/** Plaintext bytes in segment `index`: the full segment size except for the last one. */
export function segmentPlaintextSize(layout: SealedLayout, index: number): number {
  if (!Number.isSafeInteger(index) || index < 0 || index >= layout.segmentCount) {
    throw new RangeError(`segment ${index} is outside 0..${layout.segmentCount - 1}`);
  }
  if (index < layout.segmentCount - 1) return layout.segmentSize;
  return layout.plaintextSize - index * layout.segmentSize;
}

export function checkSegmentSize(segmentSize: number): void {
  if (!Number.isSafeInteger(segmentSize) || segmentSize < 1 || segmentSize > MAX_SEGMENT_SIZE) {
    throw new RangeError(`segment size ${segmentSize} is outside 1..${MAX_SEGMENT_SIZE}`);
  }
}
