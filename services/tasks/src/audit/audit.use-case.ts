import {
  CommandSubjects as S,
  VaultError,
  type AppendAuditRequest,
  type AuditEntry,
  type AuditKind,
  type Grant,
  type Principal,
} from '@media-vault/contracts';
import {
  chainAuditEntry,
  sameRawKey,
  verifyAuditSignature,
  type AuditBody,
  type AuditSignatureFields,
} from '@media-vault/sealed';
import { enqueueEvents } from '@media-vault/service-kit';
import { randomUUID } from 'node:crypto';
import { findAgent } from '../agents/agent.repository.js';
import type { Db } from '../db/access.js';
import type { TasksDatabase } from '../db/index.js';
import type { SourceRow } from '../db/schema.js';
import { findGrant } from '../master/grant.repository.js';
import { findSource } from '../master/source.repository.js';
import { authorize, authorizeAgent } from '../permissions.js';
import { auditEvent } from './audit.events.js';
import { auditRowOf, toAuditEntry } from './audit.mapper.js';
import {
  findAuditEntry,
  insertAuditEntry,
  lastAuditEntry,
  listAuditEntries,
  lockSourceForAppend,
} from './audit.repository.js';
import { assertAppendable } from './audit.rules.js';

/** An open transaction: the entry, its event and the change it records commit together. */
export type AuditWriter = Db & Parameters<typeof enqueueEvents>[0];

export interface AppendResult {
  readonly entry: AuditEntry;
  /** False when the entry id was there already: nothing written, no event. */
  readonly changed: boolean;
}

/**
 * Puts a body in the source's chain after the current head, with the source row locked, and
 * enqueues its event. The caller has locked the source (`lockSourceForAppend`) in `tx`.
 */
async function chainAfterHead(
  tx: AuditWriter,
  source: SourceRow,
  body: AuditBody,
  signature: AuditSignatureFields | undefined,
): Promise<AuditEntry> {
  const head = await lastAuditEntry(tx, source.id);
  const chained = chainAuditEntry(body, { previous: head, signature });
  const entry = toAuditEntry(await insertAuditEntry(tx, auditRowOf(chained)));
  await enqueueEvents(tx, [auditEvent(entry, source.userId)]);
  return entry;
}

/**
 * The tasks service's own entry of a grant change (`grant`, `revoke`): the grant record as the API
 * returns it, written inside the transaction of the change, so the log holds every grant change
 * and nothing that did not commit.
 */
export async function appendGrantEntry(
  tx: AuditWriter,
  kind: Extract<AuditKind, 'grant' | 'revoke'>,
  actor: Principal,
  grant: Grant,
): Promise<AuditEntry> {
  const source = await lockSourceForAppend(tx, grant.source_id);
  if (!source) throw new VaultError('internal', `source ${grant.source_id} is missing`);
  const body: AuditBody = {
    entry_id: `${kind}:${randomUUID()}`,
    source_id: source.id,
    source_uuid: source.uuid,
    kind,
    at: new Date().toISOString(),
    actor: { user_id: actor.id },
    // A JSON round trip: the record as the API shows it, with nothing JSON would not keep.
    data: JSON.parse(JSON.stringify(grant)) as Record<string, unknown>,
  };
  return chainAfterHead(tx, source, body, undefined);
}

/** A source's audit log: agents append what they did, the owner and root read it. */
export class AuditLog {
  constructor(private readonly db: TasksDatabase) {}

  /**
   * An agent's signed entry, appended as the agent's user. The agent must be the caller's and the
   * signature must verify with the key the agent is registered with; otherwise nothing is
   * written. An entry id already in the log returns that entry (a redelivered job appends once).
   */
  async append(principal: Principal, request: AppendAuditRequest): Promise<AppendResult> {
    assertAppendable(principal, request);
    const { signature, source_id: sourceId } = request;
    return this.db.transaction(async (tx) => {
      const source = await lockSourceForAppend(tx, sourceId);
      const grant = source && (await findGrant(tx, sourceId, principal.id));
      authorize(S.auditAppend, principal, { id: sourceId, ownerId: source?.userId, grant });
      const agent = authorizeAgent(
        S.auditAppend,
        principal,
        signature.agent,
        await findAgent(tx, signature.agent),
      );
      if (!sameRawKey(agent.signingKey, signature.signing_key)) {
        throw new VaultError(
          'badRequest',
          `signature.signing_key: agent ${agent.id} is registered with another signing key`,
        );
      }
      const body: AuditBody = {
        entry_id: request.entry_id,
        source_id: sourceId,
        source_uuid: request.source_uuid,
        kind: request.kind,
        at: request.at,
        actor: request.actor,
        data: request.data,
      };
      if (!verifyAuditSignature(body, signature)) {
        throw new VaultError(
          'badRequest',
          `signature: does not verify over the entry with agent ${agent.id}'s key`,
        );
      }
      if (request.source_uuid !== source!.uuid) {
        throw new VaultError(
          'badRequest',
          `source_uuid: source ${sourceId} is the master ${JSON.stringify(source!.uuid)}`,
        );
      }
      const existing = await findAuditEntry(tx, sourceId, request.entry_id);
      if (existing) return { entry: toAuditEntry(existing), changed: false };
      return { entry: await chainAfterHead(tx, source!, body, signature), changed: true };
    });
  }

  async list(principal: Principal, sourceId: number): Promise<AuditEntry[]> {
    const source = await findSource(this.db, sourceId);
    authorize(S.auditList, principal, { id: sourceId, ownerId: source?.userId, grant: undefined });
    return (await listAuditEntries(this.db, sourceId)).map(toAuditEntry);
  }
}
