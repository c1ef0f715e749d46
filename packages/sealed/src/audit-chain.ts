/**
 * The audit log of a source as a hash chain (docs/sealed-format.md, "Audit log"): who was granted
 * a master, who released, fetched and composed it, and what failed. Each entry commits to the one
 * before it, and an agent's entry carries the agent's Ed25519 signature, so the history can be
 * checked offline by anyone who has the entries, without trusting the database that stored them.
 *
 * Two byte strings are defined (in audit-verify.ts), both a domain tag, a line feed and canonical JSON:
 *
 * - the **body** (what an agent signs): `entry_id`, `source_id`, `source_uuid`, `kind`, `at`,
 *   `actor` and `data`. An agent cannot know the chain's head when it signs without a read that
 *   could be stale by the time it appends, so it signs only what it did; the tasks service puts
 *   the signed body in the chain.
 * - the **entry** (what the chain hashes): the body with `seq`, `prev_hash` and the `signature`,
 *   so the hash commits to the exact signature too.
 *
 * Pure: no I/O. Checking a chain is in audit-verify.ts, which browsers load too.
 */
import { sign, type KeyObject } from 'node:crypto';
import { encodeRawKey } from './agent-identity.js';
import * as portable from './audit-verify.js';
import type { AuditBody, AuditSignatureFields, ChainedAuditEntry } from './audit-verify.js';

export {
  AUDIT_BODY_TAG,
  AUDIT_ENTRY_TAG,
  AUDIT_GENESIS_HASH,
  AuditBreakReasons,
  SIGNED_AUDIT_KINDS,
  auditEntryHash,
  canonicalJson,
  sameRawKey,
  verifyAuditChain,
  verifyAuditSignature,
  type AuditActorFields,
  type AuditBody,
  type AuditBreakReason,
  type AuditChainReport,
  type AuditEntryCheck,
  type AuditProblem,
  type AuditSignatureFields,
  type ChainedAuditEntry,
  type VerifyAuditChainOptions,
} from './audit-verify.js';

/** What signing needs of an agent (an `AgentIdentity` has it). */
export interface AuditSigner {
  readonly id: string;
  readonly signingKey: KeyObject;
  readonly signingPublicKey: Uint8Array;
}

/** The bytes an agent signs: `media-vault.audit-body.v1`, LF, the body as canonical JSON. */
export const auditBodyBytes = (body: AuditBody): Buffer =>
  Buffer.from(portable.auditBodyBytes(body));

/** The bytes the chain hashes (everything but `hash`), as audit-verify.ts defines them. */
export const auditEntryBytes = (entry: Omit<ChainedAuditEntry, 'hash'>): Buffer =>
  Buffer.from(portable.auditEntryBytes(entry));

/** An agent's signature over a body, with the key that verifies it. */
export function signAuditBody(body: AuditBody, signer: AuditSigner): AuditSignatureFields {
  return {
    agent: signer.id,
    signing_key: encodeRawKey(signer.signingPublicKey),
    value: sign(null, auditBodyBytes(body), signer.signingKey).toString('base64url'),
  };
}

/** The body put in the chain after `previous` (none: it is the first entry). */
export function chainAuditEntry(
  body: AuditBody,
  opts: {
    readonly previous?: { readonly seq: number; readonly hash: string } | undefined;
    readonly signature?: AuditSignatureFields | undefined;
  } = {},
): ChainedAuditEntry {
  const unhashed = {
    ...portable.auditBodyFields(body),
    seq: opts.previous ? opts.previous.seq + 1 : 1,
    prev_hash: opts.previous ? opts.previous.hash : portable.AUDIT_GENESIS_HASH,
    ...(opts.signature ? { signature: opts.signature } : {}),
  };
  return { ...unhashed, hash: portable.auditEntryHash(unhashed) };
}
