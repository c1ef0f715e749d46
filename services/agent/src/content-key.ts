import type { PlaintextDigest } from '@media-vault/sealed';
import { hkdfSync } from 'node:crypto';

const INFO = 'media-vault.agent-content-key.v2\0';

export type DigestedContent = Pick<
  PlaintextDigest,
  'plaintextSize' | 'segmentSize' | 'plaintextSha256'
>;

/**
 * The content key of one source, derived rather than drawn at random, so that a seal redelivered
 * after a crash encrypts to the same ciphertext: IPFS gives the same CID and nothing is pinned
 * twice. Nonces come from segment indexes, so one key must never seal two different plaintexts.
 * The derivation therefore takes the plaintext itself, by its sha256 from a first pass over the
 * file, and not what the file system says about it: a file rewritten in place with its old size
 * and mtime forced back has other bytes, so another key. The segment size goes in too, since the
 * same bytes cut at other boundaries are other plaintexts under the same nonces. What the key was
 * derived from is what gets sealed: the seal pass checks each segment against the first pass
 * before encrypting it (SealStreamOptions.digested), so a file that changes after it was hashed
 * fails the seal instead of putting other bytes under this key.
 */
export function contentKeyFor(
  secret: Uint8Array,
  source: { readonly sourceId: number; readonly uuid: string },
  content: DigestedContent,
): Buffer {
  // The digits carry no NUL and the digest is the fixed-size tail, so no two inputs read alike.
  const info = Buffer.concat([
    Buffer.from(
      `${INFO}${source.sourceId}\0${source.uuid}\0${content.plaintextSize}\0${content.segmentSize}\0`,
      'utf8',
    ),
    content.plaintextSha256,
  ]);
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
}

/**
 * Derives the key, lends it to `use`, and wipes it when `use` settles, whichever way: the bytes
 * do not linger in the heap until the collector happens to reuse them. `use` must be done with
 * the key by then; the seal stream keeps its own copy, which it wipes itself.
 */
export async function withContentKey<T>(
  secret: Uint8Array,
  source: { readonly sourceId: number; readonly uuid: string },
  content: DigestedContent,
  use: (contentKey: Buffer) => Promise<T>,
): Promise<T> {
  const contentKey = contentKeyFor(secret, source, content);
  try {
    return await use(contentKey);
  } finally {
    contentKey.fill(0);
  }
}
