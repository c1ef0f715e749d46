import { SealedFormatError } from './errors.js';

export interface Frame {
  readonly index: number;
  /** Valid only until the framer is pushed to again: it may be the framer's reused buffer. */
  readonly bytes: Buffer;
}

/**
 * Cuts a byte stream into frames of known sizes (segments), whatever the sizes of the chunks that
 * arrive. It holds at most one partial frame, in one buffer allocated once, and passes whole
 * frames found inside a large chunk through without copying. Bytes beyond the last frame are
 * `trailing-data`; ending inside or before the last frame is `truncated`.
 */
export class SegmentFramer {
  private index = 0;
  private filled = 0;
  private pending: Buffer | undefined;

  constructor(
    private readonly frameCount: number,
    private readonly frameSizeOf: (index: number) => number,
    private readonly what: string,
  ) {}

  *push(chunk: Uint8Array): Generator<Frame> {
    const input = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let offset = 0;
    while (offset < input.length) {
      if (this.index >= this.frameCount) {
        throw new SealedFormatError(
          'trailing-data',
          `${this.what} continues after its last segment`,
        );
      }
      const size = this.frameSizeOf(this.index);
      const available = input.length - offset;
      if (this.filled === 0 && available >= size) {
        yield this.emit(input.subarray(offset, offset + size));
        offset += size;
        continue;
      }
      const take = Math.min(size - this.filled, available);
      // Every frame but the last has the full size, so one allocation normally serves them all.
      if (!this.pending || this.pending.length < size) this.pending = Buffer.allocUnsafe(size);
      input.copy(this.pending, this.filled, offset, offset + take);
      this.filled += take;
      offset += take;
      if (this.filled === size) {
        this.filled = 0;
        yield this.emit(this.pending.subarray(0, size));
      }
    }
  }

  /** Emits what can only be known at the end (an empty last frame) and checks nothing is missing. */
  *end(): Generator<Frame> {
    while (
      this.index < this.frameCount &&
      this.filled === 0 &&
      this.frameSizeOf(this.index) === 0
    ) {
      yield this.emit(Buffer.alloc(0));
    }
    if (this.index < this.frameCount) {
      throw new SealedFormatError(
        'truncated',
        `${this.what} ends in segment ${this.index} of ${this.frameCount}`,
      );
    }
  }

  private emit(bytes: Buffer): Frame {
    return { index: this.index++, bytes };
  }
}
