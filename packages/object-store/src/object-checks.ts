import { createHash } from 'node:crypto';
import {
  InvalidObjectKeyError,
  ObjectContentError,
  type GetOptions,
  type PutOptions,
} from './object-store-port.js';

const SEGMENT = /^[A-Za-z0-9._-]{1,200}$/;

/** Keys map to file paths and URL paths in adapters, so anything that could climb out is refused. */
export function checkKey(key: string): string {
  const segments = key.split('/');
  const ok =
    key.length <= 1024 && segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
  if (!ok) throw new InvalidObjectKeyError(key);
  return key;
}

export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  // A prefix may end inside a segment ("chunks/ab") or at a separator ("chunks/").
  checkKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

export interface Measured {
  size: number;
  sha256: string;
}

/**
 * Passes the source through while counting and hashing it, and fails inside the stream (so the
 * adapter never completes the object) when it runs past `maxSize` or `size`, or ends with another
 * size or digest than declared. `measured` is filled once the source has ended cleanly.
 */
export async function* checkedSource(
  key: string,
  source: AsyncIterable<Uint8Array>,
  options: PutOptions,
  measured: Partial<Measured>,
): AsyncGenerator<Uint8Array> {
  const { size: declared, maxSize, signal } = options;
  const limit = Math.min(declared ?? Infinity, maxSize ?? Infinity);
  const hash = createHash('sha256');
  let size = 0;
  signal?.throwIfAborted();
  for await (const piece of source) {
    signal?.throwIfAborted();
    size += piece.byteLength;
    if (size > limit) {
      throw declared !== undefined && size > declared
        ? new ObjectContentError(key, 'size', `${key}: more than the declared ${declared} bytes`, {
            size,
          })
        : new ObjectContentError(key, 'tooLarge', `${key}: larger than ${maxSize} bytes`, {
            size,
          });
    }
    hash.update(piece);
    yield piece;
  }
  const sha256 = hash.digest('hex');
  if (declared !== undefined && size !== declared) {
    throw new ObjectContentError(key, 'size', `${key}: ${size} bytes, declared ${declared}`, {
      size,
      sha256,
    });
  }
  if (options.sha256 !== undefined && options.sha256.toLowerCase() !== sha256) {
    throw new ObjectContentError(
      key,
      'sha256',
      `${key}: sha256 ${sha256}, declared ${options.sha256.toLowerCase()}`,
      { size, sha256 },
    );
  }
  measured.size = size;
  measured.sha256 = sha256;
}

/** Validates a range against an object's size; returns the byte span [start, end). */
export function rangeOf(options: GetOptions, size: number): { start: number; end: number } {
  const start = options.offset ?? 0;
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`bad offset ${start}`);
  const length = options.length ?? size - start;
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`bad length ${length}`);
  return { start: Math.min(start, size), end: Math.min(size, start + length) };
}

/** Yields only bytes [start, end) of a stream that starts at byte 0. */
export async function* sliceStream(
  source: AsyncIterable<Uint8Array>,
  { start, end }: { start: number; end: number },
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  let at = 0;
  for await (const piece of source) {
    signal?.throwIfAborted();
    const from = Math.max(start - at, 0);
    const to = Math.min(end - at, piece.byteLength);
    if (to > from) yield piece.subarray(from, to);
    at += piece.byteLength;
    if (at >= end) return;
  }
}
