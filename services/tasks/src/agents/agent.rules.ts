import { VaultError, type RegisterAgentBody } from '@media-vault/contracts';
import type { AgentRow } from '../db/schema.js';

/**
 * The schema only checks the shape of a key; this decodes it. An all-zero X25519 or Ed25519 key is
 * a degenerate point that would make sealing to the agent meaningless, so it is refused too.
 */
export function assertUsableKeys(body: RegisterAgentBody): void {
  for (const field of ['public_key', 'signing_key', 'owner_key'] as const) {
    const text = body[field];
    if (text === undefined) continue;
    const bytes = Buffer.from(text.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
    if (bytes.length !== 32) {
      throw new VaultError('badRequest', `${field}: must be a 32-byte key in base64`);
    }
    if (bytes.every((b) => b === 0)) {
      throw new VaultError('badRequest', `${field}: an all-zero key cannot be used`);
    }
  }
}

/** A worker re-registers at every start: with nothing new it is not a change (no write, no event). */
export const sameRegistration = (
  row: Pick<AgentRow, 'peerId' | 'publicKey' | 'signingKey' | 'name' | 'ownerKey'>,
  body: RegisterAgentBody,
): boolean =>
  row.peerId === body.peer_id &&
  row.publicKey === body.public_key &&
  row.signingKey === body.signing_key &&
  row.ownerKey === (body.owner_key ?? row.ownerKey) &&
  row.name === (body.name ?? row.name);
