import { createHash } from 'node:crypto';

/** Length of the source binding that segment AAD and envelope headers carry. */
export const SOURCE_BINDING_LENGTH = 16;

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HASHED_UUID_DOMAIN = 'media-vault.source-uuid\0';

/**
 * The 16 bytes that stand for a source's `uuid` inside the format. Seed 000 asks for "a UUID per
 * master" but its examples (`"283509238"`) and the API accept any string of 1 to 128 characters, so:
 * a canonical textual UUID contributes its own 16 bytes (case does not matter), and any other
 * string the first 16 bytes of SHA-256 over a domain tag and its UTF-8. Fixed length keeps the
 * AAD and the header layout simple; 128 bits keep accidental collisions out of reach.
 */
export function sourceBinding(sourceUuid: string): Buffer {
  if (sourceUuid.length === 0) throw new TypeError('a source uuid must not be empty');
  if (CANONICAL_UUID.test(sourceUuid)) return Buffer.from(sourceUuid.replaceAll('-', ''), 'hex');
  return createHash('sha256')
    .update(HASHED_UUID_DOMAIN)
    .update(sourceUuid, 'utf8')
    .digest()
    .subarray(0, SOURCE_BINDING_LENGTH);
}
