import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { asBuffer, uint64 } from './binary.js';
import { SealedFormatError } from './errors.js';
import { SEGMENT_TAG_LENGTH } from './segment-layout.js';
import { SOURCE_BINDING_LENGTH } from './source-binding.js';

export const CONTENT_KEY_LENGTH = 32;
export const SEGMENT_FORMAT_VERSION = 1;
const SEGMENT_DOMAIN = Buffer.from('media-vault.segment', 'ascii');

/**
 * A fresh random key per seal. The counter nonces below are safe only while a key never seals two
 * different plaintexts; see "Threat notes" in docs/sealed-format.md before deriving keys instead.
 */
export const generateContentKey = (): Buffer => randomBytes(CONTENT_KEY_LENGTH);

/** What every segment of one source shares; built once per stream. */
export interface SegmentContext {
  readonly contentKey: Buffer;
  readonly binding: Buffer;
  readonly segmentCount: number;
}

export function segmentContext(
  contentKey: Uint8Array,
  binding: Buffer,
  segmentCount: number,
): SegmentContext {
  if (contentKey.length !== CONTENT_KEY_LENGTH) {
    throw new TypeError(`a content key is ${CONTENT_KEY_LENGTH} bytes, not ${contentKey.length}`);
  }
  if (binding.length !== SOURCE_BINDING_LENGTH) throw new TypeError('bad source binding');
  return { contentKey: Buffer.from(contentKey), binding, segmentCount };
}

/**
 * 4 zero bytes then the segment index as uint64. A counter nonce is safe only because a content
 * key never seals two different plaintexts, so no (key, nonce) pair is ever used twice.
 */
export function segmentNonce(index: number): Buffer {
  return Buffer.concat([Buffer.alloc(4), uint64(index)]);
}

/**
 * Binds a segment to its place: the domain tag and version stop reuse of the ciphertext under
 * another construction, the source binding stops substitution from another source sealed under
 * the same key, the index stops reordering, the count stops truncation and extension.
 */
export function segmentAad(binding: Uint8Array, index: number, segmentCount: number): Buffer {
  return Buffer.concat([
    SEGMENT_DOMAIN,
    Buffer.of(SEGMENT_FORMAT_VERSION),
    binding,
    uint64(index),
    uint64(segmentCount),
  ]);
}

/**
 * Returns the ciphertext and then its tag: written one after the other they are the sealed
 * segment. They stay two buffers because joining them would copy every byte of the public block
 * once more (services/agent/bench: some 0.4 s of CPU per GB).
 */
export function sealSegment(
  context: SegmentContext,
  index: number,
  plaintext: Uint8Array,
): readonly [body: Buffer, tag: Buffer] {
  const cipher = createCipheriv('aes-256-gcm', context.contentKey, segmentNonce(index), {
    authTagLength: SEGMENT_TAG_LENGTH,
  });
  cipher.setAAD(segmentAad(context.binding, index, context.segmentCount));
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

/**
 * Returns the plaintext only after the tag has verified: a caller never sees a byte of a segment
 * that may have been altered.
 */
export function openSegment(context: SegmentContext, index: number, sealed: Uint8Array): Buffer {
  const bytes = asBuffer(sealed);
  const bodyLength = bytes.length - SEGMENT_TAG_LENGTH;
  const decipher = createDecipheriv('aes-256-gcm', context.contentKey, segmentNonce(index), {
    authTagLength: SEGMENT_TAG_LENGTH,
  });
  decipher.setAAD(segmentAad(context.binding, index, context.segmentCount));
  decipher.setAuthTag(bytes.subarray(bodyLength));
  const plaintext = decipher.update(bytes.subarray(0, bodyLength));
  try {
    decipher.final();
  } catch (cause) {
    throw new SealedFormatError(
      'tampered',
      `segment ${index} of ${context.segmentCount} failed authentication`,
      { cause },
    );
  }
  return plaintext;
}
