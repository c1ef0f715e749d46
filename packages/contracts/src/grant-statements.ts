/**
 * Owner-signed grant statements and revocations as they travel (docs/sealed-format.md, "Grant
 * statements"). The platform stores and serves them; agents verify them against the owner key
 * they hold themselves, so these schemas check shape only, never trust.
 */
import { Type, type Static } from '@sinclair/typebox';
import { AgentId } from './agents.js';
import { UserId } from './principal.js';

const Uuid = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  description: 'lowercase UUID',
});
const SourceUuid = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  description: "the source's uuid as its uploader named it",
});
const Fingerprint = Type.String({
  pattern: '^[0-9a-f]{64}$',
  description: 'lowercase hex SHA-256 of the raw 32-byte public key',
});
const StatementTime = Type.String({
  maxLength: 24,
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
  description: 'ISO 8601 UTC with milliseconds',
});
const Signature = Type.String({
  pattern: '^[A-Za-z0-9_-]{86}$',
  description: 'Ed25519 signature of the canonical bytes, base64url',
});
const OwnerKey = Type.String({
  pattern: '^[A-Za-z0-9_-]{43}$',
  description: "the owner's raw Ed25519 public key, base64url (a hint: verifiers use their own)",
});

export const GrantStatement = Type.Object(
  {
    id: Uuid,
    issued_at: StatementTime,
    source: SourceUuid,
    public_block: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9]+$' }),
    owner: UserId,
    sealer: AgentId,
    sealer_signing_key: Fingerprint,
    recipient: UserId,
    recipient_agent: AgentId,
    recipient_public_key: Fingerprint,
    recipient_signing_key: Fingerprint,
    not_before: Type.Union([StatementTime, Type.Null()]),
    not_after: Type.Union([StatementTime, Type.Null()]),
  },
  { additionalProperties: false },
);
export type GrantStatement = Static<typeof GrantStatement>;

export const SignedGrant = Type.Object(
  { statement: GrantStatement, signature: Signature, owner_key: OwnerKey },
  {
    additionalProperties: false,
    description: "A grant statement signed with the source owner's key",
  },
);
export type SignedGrant = Static<typeof SignedGrant>;

export const RevocationStatement = Type.Object(
  { grant: Uuid, source: SourceUuid, revoked_at: StatementTime },
  { additionalProperties: false },
);
export type RevocationStatement = Static<typeof RevocationStatement>;

export const SignedRevocation = Type.Object(
  { statement: RevocationStatement, signature: Signature, owner_key: OwnerKey },
  { additionalProperties: false, description: "A revocation signed with the owner's key" },
);
export type SignedRevocation = Static<typeof SignedRevocation>;
