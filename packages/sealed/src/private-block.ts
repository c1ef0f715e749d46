import { ByteReader, uint16, uint32, uint64, uint8 } from './binary.js';
import { SealedFormatError } from './errors.js';
import { CONTENT_KEY_LENGTH } from './segment-cipher.js';
import { sealedLayout } from './segment-layout.js';
import type { SealResult } from './seal-stream.js';

export const PRIVATE_BLOCK_MAGIC = Buffer.from('MVPB', 'ascii');
export const PRIVATE_BLOCK_VERSION = 1;
const SHA256_LENGTH = 32;
const MAX_UUID_BYTES = 1024;
const MAX_CID_BYTES = 1024;
/** ffprobe output for a long programme with many streams is tens of KiB; this leaves room. */
const MAX_MEDIA_BYTES = 1024 * 1024;

export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Opaque to this package: whatever the sealing agent's ffprobe reported, checked again at compose. */
export type MediaMetadata = { readonly [key: string]: JsonValue };

/** Everything needed to open and verify a public block. Never stored or sent in clear. */
export interface PrivateBlock {
  readonly sourceUuid: string;
  readonly contentKey: Uint8Array;
  readonly segmentSize: number;
  readonly segmentCount: number;
  readonly plaintextSize: number;
  readonly plaintextSha256: Uint8Array;
  readonly media?: MediaMetadata;
  /** Known only after the public block is added to IPFS, so a vault copy may lack it. */
  readonly publicBlockCid?: string;
}

export interface PrivateBlockInput {
  readonly sourceUuid: string;
  readonly contentKey: Uint8Array;
  readonly sealed: SealResult;
  readonly media?: MediaMetadata;
  readonly publicBlockCid?: string;
}

/** Joins the key used for sealing with what the finished seal stream measured. */
export function privateBlockOf(input: PrivateBlockInput): PrivateBlock {
  const { sealed } = input;
  return {
    sourceUuid: input.sourceUuid,
    contentKey: input.contentKey,
    segmentSize: sealed.segmentSize,
    segmentCount: sealed.segmentCount,
    plaintextSize: sealed.plaintextSize,
    plaintextSha256: sealed.plaintextSha256,
    ...(input.media ? { media: input.media } : {}),
    ...(input.publicBlockCid ? { publicBlockCid: input.publicBlockCid } : {}),
  };
}

/**
 * Fixed-size fields first, then three length-prefixed ones (uuid, CID, media JSON; length 0 means
 * absent for the last two). A binary layout rather than JSON keeps the key and digest as raw
 * bytes and gives one encoding per block, which the test vectors rely on.
 */
export function encodePrivateBlock(block: PrivateBlock): Buffer {
  checkLength('content key', block.contentKey, CONTENT_KEY_LENGTH);
  checkLength('plaintext sha256', block.plaintextSha256, SHA256_LENGTH);
  const layout = sealedLayout(block.plaintextSize, block.segmentSize);
  if (layout.segmentCount !== block.segmentCount) {
    throw new RangeError(
      `${block.plaintextSize} bytes in ${block.segmentSize}-byte segments make ${layout.segmentCount} segments, not ${block.segmentCount}`,
    );
  }
  const uuid = boundedText('source uuid', block.sourceUuid, 1, MAX_UUID_BYTES);
  const cid = boundedText('public block CID', block.publicBlockCid ?? '', 0, MAX_CID_BYTES);
  const media = boundedText(
    'media metadata',
    block.media ? JSON.stringify(block.media) : '',
    0,
    MAX_MEDIA_BYTES,
  );
  return Buffer.concat([
    PRIVATE_BLOCK_MAGIC,
    uint8(PRIVATE_BLOCK_VERSION),
    block.contentKey,
    uint32(block.segmentSize),
    uint64(block.segmentCount),
    uint64(block.plaintextSize),
    block.plaintextSha256,
    uint16(uuid.length),
    uuid,
    uint16(cid.length),
    cid,
    uint32(media.length),
    media,
  ]);
}

export function decodePrivateBlock(bytes: Uint8Array): PrivateBlock {
  const reader = new ByteReader(bytes, 'private block');
  reader.preamble(PRIVATE_BLOCK_MAGIC, PRIVATE_BLOCK_VERSION);
  const contentKey = Buffer.from(reader.take(CONTENT_KEY_LENGTH));
  const segmentSize = reader.uint32();
  const segmentCount = reader.uint64();
  const plaintextSize = reader.uint64();
  const plaintextSha256 = Buffer.from(reader.take(SHA256_LENGTH));
  const sourceUuid = reader.take(reader.uint16()).toString('utf8');
  const cid = reader.take(reader.uint16()).toString('utf8');
  const mediaText = reader.take(reader.uint32()).toString('utf8');
  reader.end();

  if (sourceUuid.length === 0) throw new SealedFormatError('malformed', 'empty source uuid');
  const layout = parseField('segment sizes', () => sealedLayout(plaintextSize, segmentSize));
  if (layout.segmentCount !== segmentCount) {
    throw new SealedFormatError('malformed', `segment count ${segmentCount} disagrees with sizes`);
  }
  const media = mediaText ? parseField('media metadata', () => parseMedia(mediaText)) : undefined;
  return {
    sourceUuid,
    contentKey,
    segmentSize,
    segmentCount,
    plaintextSize,
    plaintextSha256,
    ...(media ? { media } : {}),
    ...(cid ? { publicBlockCid: cid } : {}),
  };
}

function parseMedia(text: string): MediaMetadata {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('media metadata is not a JSON object');
  }
  return value as MediaMetadata;
}

/** Turns a validation failure on decoded bytes into a format error that names the field. */
function parseField<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    throw new SealedFormatError('malformed', `private block: bad ${what}`, { cause });
  }
}

function checkLength(what: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length)
    throw new TypeError(`${what} is ${bytes.length} bytes, not ${length}`);
}

function boundedText(what: string, text: string, min: number, max: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length < min || bytes.length > max) {
    throw new RangeError(`${what} is ${bytes.length} bytes; allowed ${min}..${max}`);
  }
  return bytes;
}
