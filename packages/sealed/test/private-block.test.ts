import { describe, expect, it } from 'vitest';
import {
  decodePrivateBlock,
  encodePrivateBlock,
  generateContentKey,
  privateBlockOf,
  type PrivateBlock,
} from '../src/index.js';
import { bytesOf, expectReason, sealBytes } from './helpers.js';

const block: PrivateBlock = {
  sourceUuid: '283509238',
  contentKey: generateContentKey(),
  segmentSize: 4 * 1024 * 1024,
  segmentCount: 25_600,
  plaintextSize: 100 * 1024 ** 3,
  plaintextSha256: bytesOf(32),
  media: {
    format: { format_name: 'mxf', duration: '5400.000000' },
    streams: [{ codec_name: 'jpeg2000' }],
  },
  publicBlockCid: 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi',
};

/** Layout offsets (docs/sealed-format.md) of fields the cases below corrupt. */
const VERSION_AT = 4;
const SEGMENT_COUNT_AT = 41;

describe('private block', () => {
  it('round-trips every field', () => {
    expect(decodePrivateBlock(encodePrivateBlock(block))).toEqual(block);
  });

  it('round-trips without the optional media metadata and CID', () => {
    const { media: _media, publicBlockCid: _cid, ...required } = block;
    const decoded = decodePrivateBlock(encodePrivateBlock(required));
    expect(decoded).toEqual(required);
    expect('media' in decoded || 'publicBlockCid' in decoded).toBe(false);
  });

  it('is built from what the seal stream measured', async () => {
    const contentKey = generateContentKey();
    const { result } = await sealBytes(bytesOf(100), {
      contentKey,
      sourceUuid: 'x',
      segmentSize: 30,
    });
    expect(
      privateBlockOf({ sourceUuid: 'x', contentKey, sealed: result, publicBlockCid: 'bafk' }),
    ).toEqual({
      sourceUuid: 'x',
      contentKey,
      segmentSize: 30,
      segmentCount: 4,
      plaintextSize: 100,
      plaintextSha256: result.plaintextSha256,
      publicBlockCid: 'bafk',
    });
  });

  it('refuses bytes that are not a private block of this version', async () => {
    const bytes = encodePrivateBlock(block);
    await expectReason(
      () => decodePrivateBlock(Buffer.concat([Buffer.from('XXXX'), bytes.subarray(4)])),
      'malformed',
    );
    const later = Buffer.from(bytes);
    later[VERSION_AT] = 2;
    await expectReason(() => decodePrivateBlock(later), 'unsupported-version');
  });

  it('refuses a block cut short or followed by more bytes', async () => {
    const bytes = encodePrivateBlock(block);
    await expectReason(() => decodePrivateBlock(bytes.subarray(0, bytes.length - 1)), 'truncated');
    await expectReason(() => decodePrivateBlock(bytes.subarray(0, 10)), 'truncated');
    await expectReason(
      () => decodePrivateBlock(Buffer.concat([bytes, Buffer.of(0)])),
      'trailing-data',
    );
  });

  it('refuses a segment count that disagrees with the sizes', async () => {
    const bytes = Buffer.from(encodePrivateBlock(block));
    bytes.writeBigUInt64BE(25_601n, SEGMENT_COUNT_AT);
    await expectReason(() => decodePrivateBlock(bytes), 'malformed');
    bytes.writeBigUInt64BE(2n ** 60n, SEGMENT_COUNT_AT);
    await expectReason(() => decodePrivateBlock(bytes), 'malformed');
  });

  it('refuses media metadata that is not a JSON object', async () => {
    const bytes = encodePrivateBlock({ ...block, media: { a: 1 } });
    const text = Buffer.from('[1]');
    const listed = Buffer.concat([
      bytes.subarray(0, bytes.length - 11),
      Buffer.of(0, 0, 0, 3),
      text,
    ]);
    await expectReason(() => decodePrivateBlock(listed), 'malformed');
  });

  it('will not encode fields that cannot be right', () => {
    expect(() => encodePrivateBlock({ ...block, contentKey: Buffer.alloc(31) })).toThrow(TypeError);
    expect(() => encodePrivateBlock({ ...block, plaintextSha256: Buffer.alloc(20) })).toThrow(
      TypeError,
    );
    expect(() => encodePrivateBlock({ ...block, segmentCount: 1 })).toThrow(RangeError);
    expect(() => encodePrivateBlock({ ...block, sourceUuid: '' })).toThrow(RangeError);
  });
});
