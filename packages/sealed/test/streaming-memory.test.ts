import { createHash } from 'node:crypto';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SEGMENT_SIZE,
  SEGMENT_TAG_LENGTH,
  createOpenStream,
  createSealStream,
  generateContentKey,
} from '../src/index.js';
import { ByteSource } from './helpers.js';

const SIZE = 256 * 1024 * 1024;
const PIECE = 1024 * 1024;

/** Passes bytes on and, for every chunk, records its size and what `watched` holds in buffers. */
class Probe extends Transform {
  maxChunk = 0;
  maxBuffered = 0;
  bytes = 0;

  constructor(private readonly watched: Transform) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.maxChunk = Math.max(this.maxChunk, chunk.length);
    this.maxBuffered = Math.max(
      this.maxBuffered,
      this.watched.writableLength + this.watched.readableLength,
    );
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

describe('streaming', () => {
  it('seals and opens 256 MiB holding no more than a couple of segments per stage', async () => {
    const contentKey = generateContentKey();
    const sourceUuid = 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e';
    const seal = createSealStream({ contentKey, sourceUuid, plaintextSize: SIZE });
    const open = createOpenStream({ contentKey, sourceUuid, plaintextSize: SIZE });
    const sealed = new Probe(seal);
    const opened = new Probe(open);
    const inputHash = createHash('sha256');
    const outputHash = createHash('sha256');

    // Fresh buffers from a generator: nothing outside the pipeline keeps the input alive.
    const bytes = new ByteSource(42);
    async function* master() {
      for (let produced = 0; produced < SIZE; produced += PIECE) {
        const piece = bytes.next(PIECE);
        inputHash.update(piece);
        yield piece;
      }
    }
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        outputHash.update(chunk);
        callback();
      },
    });

    await pipeline(Readable.from(master()), seal, sealed, open, opened, sink);

    const inputSha256 = inputHash.digest('hex');
    expect(opened.bytes).toBe(SIZE);
    expect(outputHash.digest('hex')).toBe(inputSha256);
    expect(seal.result.plaintextSha256.toString('hex')).toBe(inputSha256);

    const sealedSegment = DEFAULT_SEGMENT_SIZE + SEGMENT_TAG_LENGTH;
    expect(sealed.bytes).toBe(SIZE + (SIZE / DEFAULT_SEGMENT_SIZE) * SEGMENT_TAG_LENGTH);
    expect(sealed.maxChunk).toBe(DEFAULT_SEGMENT_SIZE);
    expect(opened.maxChunk).toBe(DEFAULT_SEGMENT_SIZE);
    // Input waiting to be written plus output waiting to be read: one piece and one segment, with
    // a little slack for the high-water marks; far from the 256 MiB that passed through.
    const bound = 2 * sealedSegment + PIECE;
    expect(sealed.maxBuffered).toBeLessThanOrEqual(bound);
    expect(opened.maxBuffered).toBeLessThanOrEqual(bound);
  });
});
