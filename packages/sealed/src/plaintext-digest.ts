import { createCipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SealedFormatError } from './errors.js';
import { segmentNonce } from './segment-cipher.js';
import { SegmentFramer, type Frame } from './segment-framer.js';
import { sealedLayout, segmentPlaintextSize, type SealedLayout } from './segment-layout.js';

const CHECK_KEY_LENGTH = 32;
const CHECK_TAG_LENGTH = 16;

/**
 * What a first pass over a plaintext records, so that a seal stream given it can check each
 * segment before encrypting it (SealStreamOptions.digested): the whole plaintext's sha256, which
 * the private block records and a derived content key comes from, and one tag per segment under
 * a key drawn at random for this digest (GMAC: AES-256-GCM over the segment as associated data,
 * the segment index as nonce). Checking a segment then costs a GHASH, some ten times cheaper than
 * the sha256 the seal pass would otherwise compute again over every byte: the sha256 is needed
 * once, not twice. The tag key and tags never leave memory, so whoever can change the file
 * cannot make changed bytes pass: a changed segment matches its tag with a probability below
 * 2^-100 for segments up to 64 MiB. 16 bytes per segment are kept (4 MiB for a 1 TiB master in
 * 4 MiB segments).
 */
export interface PlaintextDigest {
  readonly plaintextSize: number;
  readonly segmentSize: number;
  /** The whole plaintext's sha256: what the private block records. */
  readonly plaintextSha256: Buffer;
  /** 32 random bytes: the key of the segment tags, drawn for this digest alone. */
  readonly checkKey: Buffer;
  /** Per segment, in order: its tag under `checkKey`. */
  readonly segmentTags: Buffer;
}

export interface PlaintextDigestOptions {
  /** Known up front, as for sealing: a plaintext of another length is `truncated` or `trailing-data`. */
  readonly plaintextSize: number;
  /** Default 4 MiB; must be the segment size the seal will use. */
  readonly segmentSize?: number;
}

/** A segment's tag under a digest's check key: GMAC, with the segment index as nonce. */
function segmentTag(checkKey: Buffer, index: number, bytes: Uint8Array): Buffer {
  const gmac = createCipheriv('aes-256-gcm', checkKey, segmentNonce(index), {
    authTagLength: CHECK_TAG_LENGTH,
  });
  gmac.setAAD(bytes);
  gmac.final();
  return gmac.getAuthTag();
}

/** Checks, segment by segment, that a plaintext is the one a PlaintextDigest was made of. */
export class SegmentCheck {
  private constructor(private readonly digest: PlaintextDigest) {}

  /** Fails with `plaintext-changed` unless `bytes` are segment `index` of the digested plaintext. */
  check(index: number, bytes: Uint8Array, segmentCount: number): void {
    const expected = this.digest.segmentTags.subarray(
      index * CHECK_TAG_LENGTH,
      (index + 1) * CHECK_TAG_LENGTH,
    );
    // The message names no tag: it travels to wherever the caller reports failures.
    if (!timingSafeEqual(segmentTag(this.digest.checkKey, index, bytes), expected)) {
      throw new SealedFormatError(
        'plaintext-changed',
        `segment ${index} of ${segmentCount} is not the plaintext digested before sealing`,
      );
    }
  }

  /** A digest made for another size or segment size is a caller's bug, not bad input. */
  static for(digest: PlaintextDigest, layout: SealedLayout): SegmentCheck {
    if (
      digest.plaintextSize !== layout.plaintextSize ||
      digest.segmentSize !== layout.segmentSize ||
      digest.segmentTags.length !== layout.segmentCount * CHECK_TAG_LENGTH ||
      digest.checkKey.length !== CHECK_KEY_LENGTH
    ) {
      throw new RangeError(
        `the digest is of ${digest.plaintextSize} bytes in ${digest.segmentSize}-byte segments, ` +
          `the seal of ${layout.plaintextSize} bytes in ${layout.segmentSize}-byte segments`,
      );
    }
    return new SegmentCheck(digest);
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
  const checkKey = randomBytes(CHECK_KEY_LENGTH);
  const segmentTags = Buffer.alloc(layout.segmentCount * CHECK_TAG_LENGTH);
  const record = (frames: Iterable<Frame>) => {
    for (const frame of frames) {
      hash.update(frame.bytes);
      segmentTag(checkKey, frame.index, frame.bytes).copy(
        segmentTags,
        frame.index * CHECK_TAG_LENGTH,
      );
    }
  };
  for await (const chunk of source) record(framer.push(chunk));
  record(framer.end());
  return {
    plaintextSize: layout.plaintextSize,
    segmentSize: layout.segmentSize,
    plaintextSha256: hash.digest(),
    checkKey,
    segmentTags,
  };
}
