import { hkdfSync } from 'node:crypto';
import type { BigIntStats } from 'node:fs';

const INFO = 'media-vault.agent-content-key.v1\0';

/**
 * The content key of one source, derived rather than drawn at random, so that a seal redelivered
 * after a crash encrypts to the same ciphertext: IPFS gives the same CID and nothing is pinned
 * twice. Nonces come from segment indexes, so one key must never seal two different plaintexts:
 * the file's identity and modification time (nanoseconds) go into the derivation, and a master
 * changed in place (even to the same size) gets a key of its own. A file rewritten with its old
 * mtime forced back is the one case this cannot see; the seal then fails its size check or
 * yields a different sha256, and the task ends in 9 rather than in a valid-looking block.
 */
export function contentKeyFor(
  secret: Uint8Array,
  source: { readonly sourceId: number; readonly uuid: string },
  file: Pick<BigIntStats, 'dev' | 'ino' | 'size' | 'mtimeNs'>,
): Buffer {
  const info = Buffer.from(
    `${INFO}${source.sourceId}\0${source.uuid}\0${file.dev}\0${file.ino}\0${file.size}\0${file.mtimeNs}`,
    'utf8',
  );
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
}
