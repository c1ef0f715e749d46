import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SEGMENT_SIZE,
  SEGMENT_TAG_LENGTH,
  createOpenStream,
  createSealStream,
  generateContentKey,
  sealedLayout,
  segmentPlaintextSize,
  sourceBinding,
} from '../src/index.js';
import {
  bytesOf,
  expectReason,
  openBytes,
  recordPushes,
  runThrough,
  sealBytes,
} from './helpers.js';

const SEGMENT = 64;
const key = generateContentKey();
const sourceUuid = '3f2b8c1e-5a4d-4e6f-9b7a-0c1d2e3f4a5b';
const options = { contentKey: key, sourceUuid, segmentSize: SEGMENT };

/** Seals a small master of three segments (the last one short) for the tamper cases. */
async function threeSegments() {
  const plaintext = bytesOf(2 * SEGMENT + 10, 7);
  const { sealed } = await sealBytes(plaintext, options);
  const open = { ...options, plaintextSize: plaintext.length };
  return { plaintext, sealed, open };
}

const sealedSegment = (sealed: Buffer, index: number) =>
  sealed.subarray(
    index * (SEGMENT + SEGMENT_TAG_LENGTH),
    (index + 1) * (SEGMENT + SEGMENT_TAG_LENGTH),
  );

describe('seal and open streams', () => {
  const sizes = {
    empty: 0,
    'one byte': 1,
    'one segment less a byte': SEGMENT - 1,
    'exactly one segment': SEGMENT,
    'one segment and a byte': SEGMENT + 1,
    'many segments': 37 * SEGMENT + 5,
  };

  for (const [name, size] of Object.entries(sizes)) {
    for (const pieceSize of [1, 7, SEGMENT, 1000]) {
      it(`round-trips ${name} (${size} bytes) fed in ${pieceSize}-byte pieces`, async () => {
        const plaintext = bytesOf(size, size + pieceSize);
        const { sealed, pushed, result } = await sealBytes(plaintext, options, pieceSize);
        const layout = sealedLayout(size, SEGMENT);

        expect(sealed.length).toBe(layout.publicBlockSize);
        // Each segment's ciphertext, then its tag (an empty segment has only its tag).
        expect(pushed.map((chunk) => chunk.length)).toEqual(
          Array.from({ length: layout.segmentCount }, (_, index) =>
            [segmentPlaintextSize(layout, index), SEGMENT_TAG_LENGTH].filter((n) => n > 0),
          ).flat(),
        );
        expect(result).toMatchObject(layout);
        expect(result.plaintextSha256).toEqual(createHash('sha256').update(plaintext).digest());

        const opened = await openBytes(
          sealed,
          { ...options, plaintextSize: size, plaintextSha256: result.plaintextSha256 },
          pieceSize,
        );
        expect(opened.equals(plaintext)).toBe(true);
      });
    }
  }

  it('uses 4 MiB segments by default', async () => {
    const plaintext = bytesOf(DEFAULT_SEGMENT_SIZE + 1);
    const { pushed, sealed } = await sealBytes(plaintext, { contentKey: key, sourceUuid }, 1 << 20);
    expect(pushed.map((chunk) => chunk.length)).toEqual([
      DEFAULT_SEGMENT_SIZE,
      SEGMENT_TAG_LENGTH,
      1,
      SEGMENT_TAG_LENGTH,
    ]);
    const opened = await openBytes(sealed, {
      contentKey: key,
      sourceUuid,
      plaintextSize: plaintext.length,
    });
    expect(opened.equals(plaintext)).toBe(true);
  });

  it('seals the same plaintext under two keys to unrelated ciphertext', async () => {
    const plaintext = bytesOf(3 * SEGMENT);
    const a = await sealBytes(plaintext, options);
    const b = await sealBytes(plaintext, { ...options, contentKey: generateContentKey() });
    expect(a.sealed.equals(b.sealed)).toBe(false);
  });
});

describe('opening refuses a public block that is not exactly what was sealed', () => {
  it('fails with tampered when any single byte is flipped, wherever it is', async () => {
    const { sealed, open } = await threeSegments();
    for (let at = 0; at < sealed.length; at++) {
      const altered = Buffer.from(sealed);
      altered[at]! ^= 0x01;
      await expectReason(openBytes(altered, open), 'tampered');
    }
  });

  it('emits nothing of a segment whose tag does not verify', async () => {
    const { plaintext, sealed, open } = await threeSegments();
    const altered = Buffer.from(sealed);
    altered[SEGMENT + SEGMENT_TAG_LENGTH + 3]! ^= 0x80;
    const stream = createOpenStream(open);
    const pushed = recordPushes(stream);
    const { error } = await runThrough(altered, stream, 1);
    expect(error).toMatchObject({ reason: 'tampered' });
    expect(pushed).toHaveLength(1);
    expect(pushed[0]?.equals(plaintext.subarray(0, SEGMENT))).toBe(true);
  });

  it('fails when two segments are swapped', async () => {
    const { sealed, open } = await threeSegments();
    const swapped = Buffer.concat([
      sealedSegment(sealed, 1),
      sealedSegment(sealed, 0),
      sealedSegment(sealed, 2),
    ]);
    await expectReason(openBytes(swapped, open), 'tampered');
  });

  it('fails with truncated when the last segment is dropped', async () => {
    const { sealed, open } = await threeSegments();
    await expectReason(openBytes(sealed.subarray(0, 2 * (SEGMENT + 16)), open), 'truncated');
  });

  it('fails with truncated when the block ends inside a segment', async () => {
    const { sealed, open } = await threeSegments();
    await expectReason(openBytes(sealed.subarray(0, sealed.length - 1), open), 'truncated');
    await expectReason(openBytes(Buffer.alloc(0), open), 'truncated');
  });

  it('fails with trailing-data when bytes follow the last segment', async () => {
    const { sealed, open } = await threeSegments();
    await expectReason(openBytes(Buffer.concat([sealed, Buffer.of(0)]), open), 'trailing-data');
    const repeated = Buffer.concat([sealed, sealedSegment(sealed, 0)]);
    await expectReason(openBytes(repeated, open), 'trailing-data');
  });

  it('fails when the last segment is dropped and the count is declared to match', async () => {
    // An attacker who also lies about the size still cannot cut the master short: the count is
    // bound into every segment, so segment 1 does not verify as the last of two.
    const { sealed, open } = await threeSegments();
    const shorter = { ...open, plaintextSize: 2 * SEGMENT };
    await expectReason(openBytes(sealed.subarray(0, 2 * (SEGMENT + 16)), shorter), 'tampered');
  });

  it('fails when opened as another source or with another key', async () => {
    const { sealed, open } = await threeSegments();
    const otherSource = { ...open, sourceUuid: '3f2b8c1e-5a4d-4e6f-9b7a-0c1d2e3f4a5c' };
    await expectReason(openBytes(sealed, otherSource), 'tampered');
    await expectReason(
      openBytes(sealed, { ...open, contentKey: generateContentKey() }),
      'tampered',
    );
  });

  it('fails when a segment of another source sealed under the same key is substituted', async () => {
    const { sealed, open } = await threeSegments();
    const other = await sealBytes(bytesOf(2 * SEGMENT + 10, 8), {
      ...options,
      sourceUuid: 'other',
    });
    const mixed = Buffer.concat([
      sealedSegment(sealed, 0),
      sealedSegment(other.sealed, 1),
      sealedSegment(sealed, 2),
    ]);
    await expectReason(openBytes(mixed, open), 'tampered');
  });

  it('fails with digest-mismatch when the recorded sha256 is not the plaintext one', async () => {
    const { sealed, open } = await threeSegments();
    await expectReason(
      openBytes(sealed, { ...open, plaintextSha256: Buffer.alloc(32) }),
      'digest-mismatch',
    );
  });
});

describe('sealing refuses input that is not the declared size', () => {
  it('fails with truncated when the input is shorter', async () => {
    const stream = createSealStream({ ...options, plaintextSize: 3 * SEGMENT });
    const { error } = await runThrough(bytesOf(3 * SEGMENT - 1), stream);
    expect(error).toMatchObject({ reason: 'truncated' });
  });

  it('fails with trailing-data when the input is longer', async () => {
    const stream = createSealStream({ ...options, plaintextSize: 3 * SEGMENT });
    const { error } = await runThrough(bytesOf(3 * SEGMENT + 1), stream);
    expect(error).toMatchObject({ reason: 'trailing-data' });
    const empty = createSealStream({ ...options, plaintextSize: 0 });
    expect((await runThrough(bytesOf(1), empty)).error).toMatchObject({ reason: 'trailing-data' });
  });

  it('refuses keys, sizes and segment sizes that cannot be right', () => {
    expect(() =>
      createSealStream({ ...options, contentKey: Buffer.alloc(16), plaintextSize: 1 }),
    ).toThrow(TypeError);
    expect(() => createSealStream({ ...options, segmentSize: 0, plaintextSize: 1 })).toThrow(
      RangeError,
    );
    expect(() => createSealStream({ ...options, plaintextSize: -1 })).toThrow(RangeError);
    expect(() => createSealStream({ ...options, sourceUuid: '', plaintextSize: 1 })).toThrow(
      TypeError,
    );
  });

  it('has no result before it has finished', () => {
    expect(() => createSealStream({ ...options, plaintextSize: 1 }).result).toThrow(/not finished/);
  });
});

describe('layout', () => {
  it('counts segments and public block bytes from the plaintext size', () => {
    expect(sealedLayout(0, 16)).toEqual({
      plaintextSize: 0,
      segmentSize: 16,
      segmentCount: 1,
      publicBlockSize: 16,
    });
    expect(sealedLayout(33, 16)).toMatchObject({ segmentCount: 3, publicBlockSize: 33 + 48 });
    const master = sealedLayout(150 * 1024 ** 3);
    expect(master.segmentCount).toBe(38_400);
    expect(segmentPlaintextSize(sealedLayout(33, 16), 2)).toBe(1);
    expect(() => segmentPlaintextSize(sealedLayout(33, 16), 3)).toThrow(RangeError);
  });
});

describe('source binding', () => {
  it('is the UUID itself for a canonical UUID, whatever its case', () => {
    expect(sourceBinding('3F2B8C1E-5A4D-4E6F-9B7A-0C1D2E3F4A5B').toString('hex')).toBe(
      '3f2b8c1e5a4d4e6f9b7a0c1d2e3f4a5b',
    );
  });

  it('is a 16-byte hash for any other string', () => {
    const a = sourceBinding('283509238');
    expect(a).toHaveLength(16);
    expect(a.equals(sourceBinding('283509239'))).toBe(false);
    expect(a.equals(sourceBinding('283509238'))).toBe(true);
  });
});
