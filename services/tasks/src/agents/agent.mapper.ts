import { seedTimestamp, type Agent } from '@media-vault/contracts';
import type { AgentRow } from '../db/schema.js';

export const toAgent = (row: AgentRow): Agent => ({
  id: row.id,
  user_id: row.userId,
  name: row.name,
  peer_id: row.peerId,
  public_key: row.publicKey,
  signing_key: row.signingKey,
  owner_key: row.ownerKey,
  created_at: seedTimestamp(row.createdAt),
  updated_at: seedTimestamp(row.updatedAt),
});
