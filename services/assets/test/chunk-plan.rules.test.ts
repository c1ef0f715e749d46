import { describe, expect, it } from 'vitest';
import {
  checkUploadSize,
  chunkCount,
  chunkObjectName,
  describeMissing,
  expectedChunkSize,
  missingChunks,
  chunkOfObject,
  objectBelongsToChunk,
} from '../src/audio/chunk-plan.rules.js';

describe('upload size', () => {
  it.each([
    [0n, 'size: an audio file has at least 1 byte'],
    [-5n, 'size: an audio file has at least 1 byte'],
    [1001n, 'size: larger than the 1000-byte limit'],
  ])('refuses %s bytes under a 1000-byte limit', (size, message) => {
    expect(() => checkUploadSize(size, 1000)).toThrow(
      expect.objectContaining({ kind: 'badRequest', message }),
    );
  });

  it.each([1n, 999n, 1000n])('accepts %s bytes under a 1000-byte limit', (size) => {
    expect(() => checkUploadSize(size, 1000)).not.toThrow();
  });
});

describe('chunk count', () => {
  it.each([
    [1n, 100, 1],
    [99n, 100, 1],
    [100n, 100, 1],
    [101n, 100, 2],
    [200n, 100, 2],
    [201n, 100, 3],
    [5_242_880n * 3n + 1n, 5_242_880, 4],
  ])('%s bytes in chunks of %i: %i chunks', (size, chunkSize, expected) => {
    expect(chunkCount(size, chunkSize)).toBe(expected);
  });
});

describe('expected chunk size', () => {
  const plan = { id: 42n, size: 250n, chunkSize: 100, chunkCount: 3 };

  it.each([
    [0, 100],
    [1, 100],
    [2, 50],
  ])('chunk %i of a 250-byte plan of 100-byte chunks has %i bytes', (index, expected) => {
    expect(expectedChunkSize(plan, index)).toBe(expected);
  });

  it('a plan that ends on a chunk boundary has a full last chunk', () => {
    expect(expectedChunkSize({ id: 1n, size: 200n, chunkSize: 100, chunkCount: 2 }, 1)).toBe(100);
  });

  it.each([3, 4, 1000])('index %i is out of range', (index) => {
    expect(() => expectedChunkSize(plan, index)).toThrow(
      expect.objectContaining({
        kind: 'badRequest',
        message: `index: ${index} is out of range; asset 42 has chunks 0 to 2`,
      }),
    );
  });
});

describe('chunk objects', () => {
  it('names an object under its asset and index', () => {
    expect(chunkObjectName(12n, 3, 'abc')).toBe('12/3/abc');
  });

  it.each([
    ['12/3/abc', true],
    ['12/3/', true],
    ['12/4/abc', false],
    ['1/3/abc', false],
    ['12/31/abc', false],
    ['112/3/abc', false],
    ['12/3', false],
  ])('%s belongs to chunk 3 of asset 12: %s', (object, expected) => {
    expect(objectBelongsToChunk(object, 12n, 3)).toBe(expected);
  });
});

describe('the chunk a staging key names', () => {
  it.each([
    ['12/3/abc', { id: 12n, index: 3 }],
    ['9223372036854775807/0/x', { id: 9223372036854775807n, index: 0 }],
    ['12/3', undefined],
    ['12/3/a/b', undefined],
    ['012/3/abc', undefined],
    ['12/03/abc', undefined],
    ['0/3/abc', undefined],
    ['a/3/abc', undefined],
    ['stray', undefined],
  ])('%s', (object, expected) => {
    expect(chunkOfObject(object)).toEqual(expected);
  });
});

describe('missing chunks', () => {
  it.each([
    [3, [0, 1, 2], []],
    [3, [], [0, 1, 2]],
    [5, [4, 0, 2], [1, 3]],
    [1, [0], []],
  ])('a plan of %i with %j stored misses %j', (count, present, expected) => {
    expect(missingChunks(count, present)).toEqual(expected);
  });

  it('names at most twenty missing chunks', () => {
    expect(describeMissing([1, 3])).toBe('1, 3');
    expect(describeMissing([])).toBe('');
    const twenty = [...Array(20).keys()];
    expect(describeMissing(twenty)).toBe(
      '0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19',
    );
    expect(describeMissing([...twenty, 20])).toBe(
      '0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, …',
    );
  });
});
