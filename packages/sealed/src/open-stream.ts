import { createHash, timingSafeEqual, type Hash } from 'node:crypto';
import { SealedFormatError } from './errors.js';
import type { Frame } from './segment-framer.js';
import { openSegment } from './segment-cipher.js';
import { SegmentTransform, type SegmentStreamOptions } from './segment-transform.js';

/** The fields of a private block that opening needs; a decoded PrivateBlock can be passed as is. */
export interface OpenStreamOptions extends SegmentStreamOptions {
  /** When given, the whole plaintext is hashed and a mismatch fails the stream at its end. */
  readonly plaintextSha256?: Uint8Array;
}

/**
 * Public block in, plaintext out. Each segment is emitted only after its tag verifies; a public
 * block that is cut short, runs long, or has a segment altered, moved or taken from elsewhere
 * fails the stream with a SealedFormatError. Earlier segments have been emitted by then, so a
 * consumer writes to a temporary file and renames it only when the stream ends cleanly.
 */
export class OpenStream extends SegmentTransform {
  private readonly expectedSha256: Buffer | undefined;
  private readonly hash: Hash | undefined;

  constructor(options: OpenStreamOptions) {
    super(options, 'public block');
    if (options.plaintextSha256) {
      this.expectedSha256 = Buffer.from(options.plaintextSha256);
      this.hash = createHash('sha256');
    }
  }

  protected override transformFrame(frame: Frame): Buffer {
    const plaintext = openSegment(this.context, frame.index, frame.bytes);
    this.hash?.update(plaintext);
    return plaintext;
  }

  protected override finish(): void {
    if (!this.hash || !this.expectedSha256) return;
    const actual = this.hash.digest();
    if (
      actual.length !== this.expectedSha256.length ||
      !timingSafeEqual(actual, this.expectedSha256)
    ) {
      throw new SealedFormatError(
        'digest-mismatch',
        `the opened plaintext has sha256 ${actual.toString('hex')}, not ${this.expectedSha256.toString('hex')}`,
      );
    }
  }
}

export const createOpenStream = (options: OpenStreamOptions): OpenStream => new OpenStream(options);
