import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createOpenStream,
  createSealStream,
  digestPlaintext,
  generateContentKey,
  SEGMENT_TAG_LENGTH,
  type PlaintextDigest,
} from '../src/index.js';
import {
  bytesOf,
  expectReason,
  openBytes,
  piecesOf,
  recordPushes,
  runThrough,
  sealBytes,
} from './helpers.js';

const SEGMENT = 64;
const sourceUuid = '3f2b8c1e-5a4d-4e6f-9b7a-0c1d2e3f4a5b';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();
/** GMAC written out here from the definition: AES-256-GCM with the segment as associated data. */
const gmac = (key: Buffer, index: number, bytes: Uint8Array) => {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(bytes);
  cipher.final();
  return cipher.getAuthTag();
};

const digestOf = (plaintext: Uint8Array, pieceSize = 1000, segmentSize = SEGMENT) =>
  digestPlaintext(piecesOf(plaintext, pieceSize), {
    plaintextSize: plaintext.length,
    segmentSize,
  });

/** What the stream keeps of the key; reached into because nothing outside should see it. */
const keyHeldBy = (stream: object): Buffer =>
  (stream as unknown as { context: { contentKey: Buffer } }).context.contentKey;

describe('digestPlaintext', () => {
  for (const size of [0, 1, SEGMENT, 3 * SEGMENT + 5]) {
    for (const pieceSize of [1, 7, SEGMENT, 1000]) {
      it(`records the sha256 and every segment's GMAC of ${size} bytes fed in ${pieceSize}-byte pieces`, async () => {
        const plaintext = bytesOf(size, size + 3);
        const digest = await digestOf(plaintext, pieceSize);
        const count = Math.max(1, Math.ceil(size / SEGMENT));
        const expected = Array.from({ length: count }, (_, i) =>
          gmac(digest.checkKey, i, plaintext.subarray(i * SEGMENT, (i + 1) * SEGMENT)),
        );
        expect(digest).toMatchObject({ plaintextSize: size, segmentSize: SEGMENT });
        expect(digest.checkKey).toHaveLength(32);
        expect(digest.segmentTags).toEqual(Buffer.concat(expected));
        expect(digest.plaintextSha256).toEqual(sha256(plaintext));
      });
    }
  }

  it('draws a fresh check key for every digest, so no one can know the tags ahead', async () => {
    const plaintext = bytesOf(2 * SEGMENT);
    const [a, b] = await Promise.all([digestOf(plaintext), digestOf(plaintext)]);
    expect(a.checkKey).not.toEqual(b.checkKey);
    expect(a.segmentTags).not.toEqual(b.segmentTags);
    expect(a.plaintextSha256).toEqual(b.plaintextSha256);
  });

  it('is done with each chunk before it asks for the next, so a source may reuse its buffer', async () => {
    const plaintext = bytesOf(5 * SEGMENT + 3, 9);
    const reused = Buffer.alloc(100);
    async function* oneBuffer() {
      for (let offset = 0; offset < plaintext.length; offset += reused.length) {
        const piece = plaintext.subarray(offset, offset + reused.length);
        piece.copy(reused);
        yield reused.subarray(0, piece.length);
      }
    }
    const digest = await digestPlaintext(oneBuffer(), {
      plaintextSize: plaintext.length,
      segmentSize: SEGMENT,
    });
    expect(digest.plaintextSha256).toEqual(sha256(plaintext));
    const stream = createSealStream({
      contentKey: generateContentKey(),
      sourceUuid,
      segmentSize: SEGMENT,
      plaintextSize: plaintext.length,
      digested: digest,
    });
    expect((await runThrough(plaintext, stream)).error).toBeUndefined();
  });

  it('fails with truncated or trailing-data when the input is not the declared size', async () => {
    const plaintext = bytesOf(3 * SEGMENT);
    const declared = (size: number) => ({ plaintextSize: size, segmentSize: SEGMENT });
    await expectReason(
      digestPlaintext(piecesOf(plaintext, 7), declared(3 * SEGMENT + 1)),
      'truncated',
    );
    await expectReason(
      digestPlaintext(piecesOf(plaintext, 7), declared(3 * SEGMENT - 1)),
      'trailing-data',
    );
  });
});

describe('a seal stream given the first pass digest', () => {
  const contentKey = generateContentKey();
  const options = { contentKey, sourceUuid, segmentSize: SEGMENT };

  it('seals the digested plaintext exactly as it would without the digest', async () => {
    const plaintext = bytesOf(5 * SEGMENT + 9, 11);
    const digested = await digestOf(plaintext);
    const checked = await sealBytes(plaintext, { ...options, digested }, 13);
    const unchecked = await sealBytes(plaintext, options, 13);
    expect(checked.sealed).toEqual(unchecked.sealed);
    expect(checked.result.plaintextSha256).toEqual(digested.plaintextSha256);
    const opened = await openBytes(checked.sealed, {
      ...options,
      plaintextSize: plaintext.length,
      plaintextSha256: checked.result.plaintextSha256,
    });
    expect(opened).toEqual(plaintext);
  });

  it('encrypts nothing of a segment that changed after the digest, and says so without digests', async () => {
    // The key would be derived from the digest: sealing other bytes under it is the key and
    // nonce reuse the digest is there to prevent.
    const digested = await digestOf(bytesOf(5 * SEGMENT + 9, 11));
    const changed = bytesOf(5 * SEGMENT + 9, 11);
    changed[3 * SEGMENT + 1]! ^= 0x01;
    const stream = createSealStream({ ...options, plaintextSize: changed.length, digested });
    const pushed = recordPushes(stream);
    const { error } = await runThrough(changed, stream, 7);
    expect(error).toMatchObject({ reason: 'plaintext-changed' });
    expect((error as Error).message).not.toMatch(/[0-9a-f]{16}/);
    expect(Buffer.concat(pushed)).toHaveLength(3 * (SEGMENT + SEGMENT_TAG_LENGTH));
  });

  it('fails on the first segment when the whole file is another one of the same size', async () => {
    const digested = await digestOf(bytesOf(2 * SEGMENT, 1));
    const stream = createSealStream({ ...options, plaintextSize: 2 * SEGMENT, digested });
    const pushed = recordPushes(stream);
    const { error } = await runThrough(bytesOf(2 * SEGMENT, 2), stream);
    expect(error).toMatchObject({ reason: 'plaintext-changed' });
    expect(pushed).toHaveLength(0);
  });

  it('fails when the same segments come in another order', async () => {
    const plaintext = bytesOf(3 * SEGMENT, 4);
    const digested = await digestOf(plaintext);
    const swapped = Buffer.concat([
      plaintext.subarray(SEGMENT, 2 * SEGMENT),
      plaintext.subarray(0, SEGMENT),
      plaintext.subarray(2 * SEGMENT),
    ]);
    const stream = createSealStream({ ...options, plaintextSize: swapped.length, digested });
    const pushed = recordPushes(stream);
    const { error } = await runThrough(swapped, stream);
    expect(error).toMatchObject({ reason: 'plaintext-changed' });
    expect(pushed).toHaveLength(0);
  });

  it('fails on a segment changed in its last byte, and with another check key', async () => {
    const plaintext = bytesOf(2 * SEGMENT, 5);
    const digested = await digestOf(plaintext);
    const lastByte = Buffer.from(plaintext);
    lastByte[2 * SEGMENT - 1]! ^= 0x80;
    const seal = (bytes: Buffer, digest: PlaintextDigest) =>
      runThrough(
        bytes,
        createSealStream({ ...options, plaintextSize: bytes.length, digested: digest }),
      );
    expect((await seal(lastByte, digested)).error).toMatchObject({ reason: 'plaintext-changed' });
    // The tags hold only under the key they were made with.
    const otherKey = { ...digested, checkKey: (await digestOf(plaintext)).checkKey };
    expect((await seal(plaintext, otherKey)).error).toMatchObject({ reason: 'plaintext-changed' });
    expect((await seal(plaintext, digested)).error).toBeUndefined();
  });

  it('refuses a digest made for another size or segment size', async () => {
    const digested = await digestOf(bytesOf(3 * SEGMENT));
    const build =
      (change: Partial<PlaintextDigest>, plaintextSize = 3 * SEGMENT) =>
      () =>
        createSealStream({ ...options, plaintextSize, digested: { ...digested, ...change } });
    expect(build({}, 3 * SEGMENT + 1)).toThrow(RangeError);
    expect(build({ segmentSize: 2 * SEGMENT })).toThrow(RangeError);
    expect(build({ segmentTags: digested.segmentTags.subarray(16) })).toThrow(RangeError);
    expect(build({ checkKey: digested.checkKey.subarray(1) })).toThrow(RangeError);
    expect(build({})).not.toThrow();
  });
});

describe('the streams wipe their copy of the content key', () => {
  it('once sealing or opening has finished', async () => {
    const contentKey = generateContentKey();
    const plaintext = bytesOf(3 * SEGMENT);
    const options = { contentKey, sourceUuid, segmentSize: SEGMENT, plaintextSize: 3 * SEGMENT };
    const sealer = createSealStream(options);
    const sealed = await runThrough(plaintext, sealer);
    expect(sealed.error).toBeUndefined();
    const opener = createOpenStream(options);
    const opened = await runThrough(Buffer.concat(sealed.chunks), opener);
    expect(Buffer.concat(opened.chunks)).toEqual(plaintext);
    expect(keyHeldBy(sealer)).toEqual(Buffer.alloc(32));
    expect(keyHeldBy(opener)).toEqual(Buffer.alloc(32));
    // The caller's key is the caller's to wipe.
    expect(contentKey).not.toEqual(Buffer.alloc(32));
  });

  it('when a stream fails part-way', async () => {
    const stream = createSealStream({
      contentKey: generateContentKey(),
      sourceUuid,
      segmentSize: SEGMENT,
      plaintextSize: 3 * SEGMENT,
    });
    const { error } = await runThrough(bytesOf(SEGMENT), stream);
    expect(error).toMatchObject({ reason: 'truncated' });
    expect(keyHeldBy(stream)).toEqual(Buffer.alloc(32));
  });
});
