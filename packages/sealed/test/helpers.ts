import { createCipheriv } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect } from 'vitest';
import {
  createOpenStream,
  createSealStream,
  isSealedFormatError,
  type OpenStreamOptions,
  type SealResult,
  type SealStreamOptions,
  type SealedFormatReason,
} from '../src/index.js';

/**
 * Deterministic bytes from an AES-CTR keystream: fast enough for hundreds of MiB and the same
 * on every run, so a failure can be reproduced.
 */
export class ByteSource {
  private readonly keystream;

  constructor(seed: number) {
    const key = Buffer.alloc(16);
    key.writeUInt32BE(seed >>> 0);
    this.keystream = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  }

  next(size: number): Buffer {
    return this.keystream.update(Buffer.alloc(size));
  }
}

export const bytesOf = (size: number, seed = 1): Buffer => new ByteSource(seed).next(size);

/** `bytes` as a stream of `pieceSize` pieces, to exercise every alignment against segments. */
export function piecesOf(bytes: Uint8Array, pieceSize: number): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += pieceSize) {
        yield bytes.subarray(offset, Math.min(offset + pieceSize, bytes.length));
      }
    })(),
    { objectMode: false },
  );
}

/** Runs `input` through `transform`, returning every output chunk (also on failure). */
export async function runThrough(
  input: Uint8Array,
  transform: Transform,
  pieceSize = 4096,
): Promise<{ chunks: Buffer[]; error?: unknown }> {
  const chunks: Buffer[] = [];
  try {
    await pipeline(piecesOf(input, pieceSize), transform, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) chunks.push(chunk);
    });
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

/**
 * Every chunk a transform pushes, as pushed. What a consumer reads can merge small chunks and loses
 * what was still buffered when the stream failed, so it cannot show what was emitted.
 */
export function recordPushes(stream: Transform): Buffer[] {
  const pushed: Buffer[] = [];
  const push = stream.push.bind(stream);
  stream.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (Buffer.isBuffer(chunk)) pushed.push(chunk);
    return push(chunk, encoding);
  };
  return pushed;
}

export async function sealBytes(
  plaintext: Uint8Array,
  options: Omit<SealStreamOptions, 'plaintextSize'>,
  pieceSize?: number,
): Promise<{ sealed: Buffer; pushed: Buffer[]; result: SealResult }> {
  const stream = createSealStream({ ...options, plaintextSize: plaintext.length });
  const pushed = recordPushes(stream);
  const { chunks, error } = await runThrough(plaintext, stream, pieceSize);
  if (error) throw error;
  return { sealed: Buffer.concat(chunks), pushed, result: stream.result };
}

export async function openBytes(
  sealed: Uint8Array,
  options: OpenStreamOptions,
  pieceSize?: number,
): Promise<Buffer> {
  const { chunks, error } = await runThrough(sealed, createOpenStream(options), pieceSize);
  if (error) throw error;
  return Buffer.concat(chunks);
}

export async function expectReason(
  work: Promise<unknown> | (() => unknown),
  reason: SealedFormatReason,
): Promise<void> {
  let caught: unknown;
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a SealedFormatError '${reason}'`).toBeDefined();
  expect(isSealedFormatError(caught) ? caught.reason : caught).toBe(reason);
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const unhex = (text: string): Buffer => Buffer.from(text, 'hex');
