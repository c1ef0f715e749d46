/**
 * The audit log of a source (docs/sealed-format.md, "Audit log"): an append-only hash chain of who
 * was granted the master and who released, fetched and composed it. The tasks service writes
 * grants and revocations itself; agents append what they did, signed with their Ed25519 key, so
 * the history can be checked offline instead of being trusted from the database.
 */
import { Type, type Static } from '@sinclair/typebox';
import { AgentId } from './agents.js';
import { MasterSourceId, MasterSourceParams } from './master-tasks.js';
import { UserId } from './principal.js';

export const AuditKinds = ['grant', 'revoke', 'release', 'fetch', 'compose', 'failure'] as const;
export type AuditKind = (typeof AuditKinds)[number];
/** Written by the tasks service, in the transaction of the grant change. */
export const PlatformAuditKinds = ['grant', 'revoke'] as const satisfies readonly AuditKind[];
/** Appended by the agent that did the work, and signed by it. */
export const AgentAuditKinds = [
  'release',
  'fetch',
  'compose',
  'failure',
] as const satisfies readonly AuditKind[];
export type AgentAuditKind = (typeof AgentAuditKinds)[number];

export const AuditKind = Type.Union(AuditKinds.map((k) => Type.Literal(k)));
export const AgentAuditKind = Type.Union(
  AgentAuditKinds.map((k) => Type.Literal(k)),
  {
    description: 'what the agent did; grant and revoke entries are written by the platform',
  },
);

const MAX_SEQ = 2_147_483_647;

const sha256Hex = (description: string) =>
  Type.String({
    pattern: '^[0-9a-f]{64}$',
    description: `${description}: 64 lowercase hex digits`,
  });

/** Exactly what `Date.toISOString()` writes, so the signed text needs no normalising. */
export const AuditTime = Type.String({
  minLength: 24,
  maxLength: 24,
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
  description: 'ISO 8601, UTC, with milliseconds: 2026-01-01T00:05:00.123Z',
});

export const AuditEntryId = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[A-Za-z0-9_.:@-]+$',
  description:
    'unique within the source (an agent uses its job id and the kind, and a release its envelope CID too); appending the same id again returns the entry already there',
});

export const AuditSourceUuid = Type.String({
  minLength: 1,
  maxLength: 128,
  description: "the master's uuid, as its upload named it",
});

export const AuditActor = Type.Object(
  {
    user_id: UserId,
    agent: Type.Optional(AgentId),
  },
  { additionalProperties: false },
);
export type AuditActor = Static<typeof AuditActor>;

export const AuditData = Type.Record(Type.String(), Type.Unknown(), {
  description: 'what happened, kind by kind (docs/sealed-format.md); opaque to the chain',
});

export const AuditSignature = Type.Object(
  {
    agent: AgentId,
    signing_key: Type.String({
      pattern: '^[A-Za-z0-9_-]{43}$',
      description: 'raw Ed25519 public key of the agent, base64url without padding',
    }),
    value: Type.String({
      pattern: '^[A-Za-z0-9_-]{86}$',
      description: "Ed25519 signature over the entry's body bytes, base64url without padding",
    }),
  },
  { additionalProperties: false },
);
export type AuditSignature = Static<typeof AuditSignature>;

const bodyFields = {
  entry_id: AuditEntryId,
  source_id: MasterSourceId,
  source_uuid: AuditSourceUuid,
  kind: AuditKind,
  at: AuditTime,
  actor: AuditActor,
  data: AuditData,
};

/** What an agent signs: everything it says about what it did, nothing about the chain. */
export const AuditEntryBody = Type.Object(bodyFields, { additionalProperties: false });
export type AuditEntryBody = Static<typeof AuditEntryBody>;

/** One link of a source's chain. */
export const AuditEntry = Type.Object({
  seq: Type.Integer({ minimum: 1, maximum: MAX_SEQ, description: '1, 2, 3 … within the source' }),
  ...bodyFields,
  prev_hash: sha256Hex("the previous entry's hash (64 zeros for entry 1)"),
  hash: sha256Hex("SHA-256 of the entry's canonical bytes"),
  signature: Type.Optional(AuditSignature),
});
export type AuditEntry = Static<typeof AuditEntry>;

export const AuditEntryList = Type.Array(AuditEntry);
export type AuditEntryList = Static<typeof AuditEntryList>;

/** `POST /api/v1/sources/{source_id}/audit/`: an agent's signed entry, as its user. */
export const AppendAuditBody = Type.Object(
  {
    entry_id: AuditEntryId,
    source_uuid: AuditSourceUuid,
    kind: AgentAuditKind,
    at: AuditTime,
    actor: AuditActor,
    data: AuditData,
    signature: AuditSignature,
  },
  { additionalProperties: false },
);
export type AppendAuditBody = Static<typeof AppendAuditBody>;

export const AppendAuditRequest = Type.Object(
  { source_id: MasterSourceId, ...AppendAuditBody.properties },
  { additionalProperties: false },
);
export type AppendAuditRequest = Static<typeof AppendAuditRequest>;

export const ListAuditRequest = MasterSourceParams;

export const AuditCommandSubjects = {
  auditAppend: 'svc.tasks.audit.append',
  auditList: 'svc.tasks.audit.list',
} as const;

export const AuditCommands = {
  [AuditCommandSubjects.auditAppend]: { request: AppendAuditRequest, response: AuditEntry },
  [AuditCommandSubjects.auditList]: { request: ListAuditRequest, response: AuditEntryList },
} as const;

/**
 * Each appended entry, on `events.tasks.audit.<source_id>`: a witness outside the platform that
 * keeps these holds a copy the database cannot rewrite. `source_owner` is whose log it is.
 */
export const AuditEvent = Type.Object({
  id: Type.String(),
  type: Type.Literal('audit.appended'),
  at: Type.String({ format: 'date-time' }),
  source_owner: UserId,
  record: AuditEntry,
});
export type AuditEvent = Static<typeof AuditEvent>;
