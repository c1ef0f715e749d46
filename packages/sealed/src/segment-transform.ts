import { Transform, type TransformCallback, type TransformOptions } from 'node:stream';
import { SegmentFramer, type Frame } from './segment-framer.js';
import { segmentContext, type SegmentContext } from './segment-cipher.js';
import {
  SEGMENT_TAG_LENGTH,
  sealedLayout,
  segmentPlaintextSize,
  type SealedLayout,
} from './segment-layout.js';
import { sourceBinding } from './source-binding.js';

/** What both directions need to know about a source's segments. */
export interface SegmentStreamOptions {
  /**
   * 32 bytes that never seal two different plaintexts: random for every seal (see
   * generateContentKey). The stream keeps a copy, so the caller may wipe its own once the stream is built.
   */
  readonly contentKey: Uint8Array;
  readonly sourceUuid: string;
  /** Must be known up front: the segment count is bound into every segment. */
  readonly plaintextSize: number;
  /** Default 4 MiB. */
  readonly segmentSize?: number;
}

/**
 * Framing and error plumbing shared by the seal and open streams. Back-pressure comes from
 * Transform itself: each pushed segment is larger than the readable high-water mark, so the next
 * input chunk is not taken until the consumer has read the previous segment. In memory at any
 * time: one partial input segment in the framer, the segment being pushed, and the writer's
 * current chunk.
 */
export abstract class SegmentTransform extends Transform {
  readonly layout: SealedLayout;
  protected readonly context: SegmentContext;
  private readonly framer: SegmentFramer;

  /** `input` says which side comes in: plaintext segments, or sealed ones that carry a tag. */
  constructor(
    options: SegmentStreamOptions,
    input: 'plaintext' | 'public block',
    streamOptions: TransformOptions = {},
  ) {
    super(streamOptions);
    const layout = sealedLayout(options.plaintextSize, options.segmentSize);
    const tagLength = input === 'public block' ? SEGMENT_TAG_LENGTH : 0;
    this.layout = layout;
    this.context = segmentContext(
      options.contentKey,
      sourceBinding(options.sourceUuid),
      layout.segmentCount,
    );
    this.framer = new SegmentFramer(
      layout.segmentCount,
      (index) => segmentPlaintextSize(layout, index) + tagLength,
      input,
    );
  }

  /** What one segment becomes, in order; several buffers are pushed one after the other. */
  protected abstract transformFrame(frame: Frame): Buffer | readonly Buffer[];

  /** Checks that can only run once every segment has passed. */
  protected abstract finish(): void;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.run(() => this.emitFrames(this.framer.push(chunk)), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.run(() => {
      this.emitFrames(this.framer.end());
      this.finish();
    }, callback);
  }

  private emitFrames(frames: Iterable<Frame>): void {
    for (const frame of frames) {
      const out = this.transformFrame(frame);
      for (const bytes of Buffer.isBuffer(out) ? [out] : out) {
        if (bytes.length > 0) this.push(bytes);
      }
    }
  }

  /**
   * The stream's own copy of the content key is wiped once nothing can use it any more: after the
   * last segment (the stream destroys itself when both sides have ended) or on failure.
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.context.contentKey.fill(0);
    callback(error);
  }

  private run(step: () => void, callback: TransformCallback): void {
    try {
      step();
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback();
  }
}
