import { createHash, type Hash } from 'node:crypto';
import { SegmentCheck, type PlaintextDigest } from './plaintext-digest.js';
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
   * changes between the two passes or during the seal. Since every segment is then the digested
   * one, the result's sha256 is the digest's, and the stream does not compute it a second time.
   */
  readonly digested?: PlaintextDigest;
}

/** What the private block needs to record once sealing has finished. */
export interface SealResult extends SealedLayout {
  readonly plaintextSha256: Buffer;
}

/**
 * Plaintext in, public block out (each sealed segment as its ciphertext, then its tag). Fails with `truncated` or
 * `trailing-data` when the input is not exactly `plaintextSize` bytes, so a file that changed
 * while being read cannot produce a public block that disagrees with its private block. No input
 * chunk is kept once its write callback has run, so a writer may then read into its buffer again.
 */
export class SealStream extends SegmentTransform {
  /** Without a first pass, the stream's own sha256; with one, the check against it. */
  private readonly hash: Hash | undefined;
  private readonly segmentCheck: SegmentCheck | undefined;
  private readonly digestedSha256: Buffer | undefined;
  private sealed: SealResult | undefined;

  constructor(options: SealStreamOptions) {
    super(options, 'plaintext');
    const { digested } = options;
    if (digested) {
      this.segmentCheck = SegmentCheck.for(digested, this.layout);
      this.digestedSha256 = Buffer.from(digested.plaintextSha256);
    } else {
      this.hash = createHash('sha256');
    }
  }

  /** Available once the stream has ended; reading it earlier is a bug. */
  get result(): SealResult {
    if (!this.sealed) throw new Error('the seal stream has not finished');
    return this.sealed;
  }

  protected override transformFrame(frame: Frame): readonly Buffer[] {
    this.segmentCheck?.check(frame.index, frame.bytes, this.layout.segmentCount);
    this.hash?.update(frame.bytes);
    return sealSegment(this.context, frame.index, frame.bytes);
  }

  protected override finish(): void {
    const plaintextSha256 = this.digestedSha256 ?? this.hash!.digest();
    this.sealed = { ...this.layout, plaintextSha256 };
  }
}

export const createSealStream = (options: SealStreamOptions): SealStream => new SealStream(options);
