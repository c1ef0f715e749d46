import { createHash } from 'node:crypto';
import { PrefixCheck, type PlaintextDigest } from './plaintext-digest.js';
import type { Frame } from './segment-framer.js';
import { sealSegment } from './segment-cipher.js';
import type { SealedLayout } from './segment-layout.js';
import { SegmentTransform, type SegmentStreamOptions } from './segment-transform.js';

export interface SealStreamOptions extends SegmentStreamOptions {
  /**
   * A first pass's digest of the same plaintext (digestPlaintext). Each segment is then checked
   * against it before it is encrypted, and the first one that differs fails the stream with
   * `plaintext-changed` before any of its ciphertext exists. A content key derived from the
   * digest thereby never seals other bytes than those it was derived from, even when the file
   * changes between the two passes or during the seal.
   */
  readonly digested?: PlaintextDigest;
}

/** What the private block needs to record once sealing has finished. */
export interface SealResult extends SealedLayout {
  readonly plaintextSha256: Buffer;
}

/**
 * Plaintext in, public block out (one output chunk per sealed segment). Fails with `truncated` or
 * `trailing-data` when the input is not exactly `plaintextSize` bytes, so a file that changed
 * while being read cannot produce a public block that disagrees with its private block. No input
 * chunk is kept once its write callback has run, so a writer may then read into its buffer again.
 */
export class SealStream extends SegmentTransform {
  private readonly hash = createHash('sha256');
  private readonly prefixCheck: PrefixCheck | undefined;
  private sealed: SealResult | undefined;

  constructor(options: SealStreamOptions) {
    super(options, 'plaintext');
    this.prefixCheck = options.digested && PrefixCheck.for(options.digested, this.layout);
  }

  /** Available once the stream has ended; reading it earlier is a bug. */
  get result(): SealResult {
    if (!this.sealed) throw new Error('the seal stream has not finished');
    return this.sealed;
  }

  protected override transformFrame(frame: Frame): Buffer {
    this.hash.update(frame.bytes);
    this.prefixCheck?.check(this.hash, frame.index, this.layout.segmentCount);
    return sealSegment(this.context, frame.index, frame.bytes);
  }

  protected override finish(): void {
    this.sealed = { ...this.layout, plaintextSha256: this.hash.digest() };
  }
}

export const createSealStream = (options: SealStreamOptions): SealStream => new SealStream(options);
