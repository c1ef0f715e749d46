import type { AuditEntry, AuditKind } from '@media-vault/contracts';
import type { ChainedAuditEntry } from '@media-vault/sealed';
import type { AuditEntryRow } from '../db/schema.js';
import type { NewAuditEntry } from './audit.repository.js';

/** A stored entry as the API shows it, field for field as it was hashed. */
export function toAuditEntry(row: AuditEntryRow): AuditEntry {
  const signed = row.signatureAgent !== null && row.signingKey !== null && row.signature !== null;
  return {
    seq: row.seq,
    entry_id: row.entryId,
    source_id: row.sourceId,
    source_uuid: row.sourceUuid,
    kind: row.kind as AuditKind,
    at: row.at,
    actor: {
      user_id: row.actorUserId,
      ...(row.actorAgent === null ? {} : { agent: row.actorAgent }),
    },
    data: row.data,
    prev_hash: row.prevHash,
    hash: row.hash,
    ...(signed
      ? {
          signature: {
            agent: row.signatureAgent!,
            signing_key: row.signingKey!,
            value: row.signature!,
          },
        }
      : {}),
  };
}

export const auditRowOf = (entry: ChainedAuditEntry): NewAuditEntry => ({
  sourceId: entry.source_id,
  seq: entry.seq,
  entryId: entry.entry_id,
  sourceUuid: entry.source_uuid,
  kind: entry.kind,
  at: entry.at,
  actorUserId: entry.actor.user_id,
  actorAgent: entry.actor.agent ?? null,
  data: { ...entry.data },
  prevHash: entry.prev_hash,
  hash: entry.hash,
  signatureAgent: entry.signature?.agent ?? null,
  signingKey: entry.signature?.signing_key ?? null,
  signature: entry.signature?.value ?? null,
});
