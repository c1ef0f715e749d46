import { createHash, type Hash } from 'node:crypto';
import { SealedFormatError } from './errors.js';
import { SegmentFramer, type Frame } from './segment-framer.js';
import { sealedLayout, segmentPlaintextSize, type SealedLayout } from './segment-layout.js';

const SHA256_LENGTH = 32;

/**
 * What a first pass over a plaintext records, so that a seal stream given it can check each
 * segment before encrypting it (SealStreamOptions.digested). One running sha256 is finalised on a
 * copy at every segment boundary: the pass costs one sha256 over the plaintext, and the check
 * costs the seal stream nothing beyond the sha256 it computes anyway. 32 bytes per segment are
 * kept (8 MiB for a 1 TiB master in 4 MiB segments).
 */
export interface PlaintextDigest {
  readonly plaintextSize: number;
  readonly segmentSize: number;
  /** The whole plaintext's sha256: what the private block records. */
  readonly plaintextSha256: Buffer;
  /** Per segment, in order: the sha256 of the plaintext from its start to that segment's end. */
  readonly prefixSha256: Buffer;
}

export interface PlaintextDigestOptions {
  /** Known up front, as for sealing: a plaintext of another length is `truncated` or `trailing-data`. */
  readonly plaintextSize: number;
  /** Default 4 MiB; must be the segment size the seal will use. */
  readonly segmentSize?: number;
}

/**
 * Checks, segment by segment, that a plaintext is the one a PlaintextDigest was made of. The
 * running sha256 is the caller's, so a seal stream shares the one it keeps for its result.
 */
export class PrefixCheck {
  constructor(private readonly digest: PlaintextDigest) {}

  /** Fails with `plaintext-changed` unless `hash` has seen exactly the digested plaintext so far. */
  check(hash: Hash, index: number, segmentCount: number): void {
    const expected = this.digest.prefixSha256.subarray(
      index * SHA256_LENGTH,
      (index + 1) * SHA256_LENGTH,
    );
    // The message names no digest: it travels to wherever the caller reports failures.
    if (!hash.copy().digest().equals(expected)) {
      throw new SealedFormatError(
        'plaintext-changed',
        `segment ${index} of ${segmentCount} is not the plaintext digested before sealing`,
      );
    }
  }

  /** A digest made for another size or segment size is a caller's bug, not bad input. */
  static for(digest: PlaintextDigest, layout: SealedLayout): PrefixCheck {
    if (
      digest.plaintextSize !== layout.plaintextSize ||
      digest.segmentSize !== layout.segmentSize ||
      digest.prefixSha256.length !== layout.segmentCount * SHA256_LENGTH
    ) {
      throw new RangeError(
        `the digest is of ${digest.plaintextSize} bytes in ${digest.segmentSize}-byte segments, ` +
          `the seal of ${layout.plaintextSize} bytes in ${layout.segmentSize}-byte segments`,
      );
    }
    return new PrefixCheck(digest);
  }
}

/**
 * The first pass: reads `source` once, in flat memory, and returns its PlaintextDigest. Each chunk
 * is done with before the next is asked for, so a source may read into the same buffer again.
 * Fails with `truncated` or `trailing-data` when the source is not exactly `plaintextSize` bytes.
 */
export async function digestPlaintext(
  source: AsyncIterable<Uint8Array>,
  options: PlaintextDigestOptions,
): Promise<PlaintextDigest> {
  const layout = sealedLayout(options.plaintextSize, options.segmentSize);
  const framer = new SegmentFramer(
    layout.segmentCount,
    (index) => segmentPlaintextSize(layout, index),
    'plaintext',
  );
  const hash = createHash('sha256');
  const prefixes = Buffer.alloc(layout.segmentCount * SHA256_LENGTH);
  const record = (frames: Iterable<Frame>) => {
    for (const frame of frames) {
      hash.update(frame.bytes);
      hash
        .copy()
        .digest()
        .copy(prefixes, frame.index * SHA256_LENGTH);
    }
  };
  for await (const chunk of source) record(framer.push(chunk));
  record(framer.end());
  return {
    plaintextSize: layout.plaintextSize,
    segmentSize: layout.segmentSize,
    plaintextSha256: Buffer.from(prefixes.subarray(prefixes.length - SHA256_LENGTH)),
    prefixSha256: prefixes,
  };
}
