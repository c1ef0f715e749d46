import { createHash, type Hash } from 'node:crypto';
import type { Frame } from './segment-framer.js';
import { sealSegment } from './segment-cipher.js';
import type { SealedLayout } from './segment-layout.js';
import { SegmentTransform, type SegmentStreamOptions } from './segment-transform.js';

export type SealStreamOptions = SegmentStreamOptions;

/** What the private block needs to record once sealing has finished. */
export interface SealResult extends SealedLayout {
  readonly plaintextSha256: Buffer;
}

/**
 * Plaintext in, public block out (each sealed segment as its ciphertext, then its tag), and the
 * plaintext's sha256 from the same pass: what the private block records is exactly what was
 * encrypted. Fails with `truncated` or `trailing-data` when the input is not exactly
 * `plaintextSize` bytes, so a file that changed while being read cannot produce a public block
 * that disagrees with its private block. No input chunk is kept once its write callback has run,
 * so a writer may then read into its buffer again.
 */
export class SealStream extends SegmentTransform {
  private readonly hash: Hash = createHash('sha256');
  private sealed: SealResult | undefined;

  constructor(options: SealStreamOptions) {
    // Out, each buffer is read as it was pushed: a byte-mode reader (`for await`, as the IPFS
    // add reads) would join every segment's ciphertext and tag into a new buffer, a copy of the
    // whole public block. One buffered buffer is the high-water mark, so the next segment is
    // still sealed only once the reader has taken the previous one.
    super(options, 'plaintext', { readableObjectMode: true, readableHighWaterMark: 1 });
  }

  /** Available once the stream has ended; reading it earlier is a bug. */
  get result(): SealResult {
    if (!this.sealed) throw new Error('the seal stream has not finished');
    return this.sealed;
  }

  protected override transformFrame(frame: Frame): readonly Buffer[] {
    this.hash.update(frame.bytes);
    return sealSegment(this.context, frame.index, frame.bytes);
  }

  protected override finish(): void {
    this.sealed = { ...this.layout, plaintextSha256: this.hash.digest() };
  }
}

export const createSealStream = (options: SealStreamOptions): SealStream => new SealStream(options);
