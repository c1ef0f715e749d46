/**
 * The part of the audit log format (docs/sealed-format.md, "Audit log") that checks a chain: the
 * canonical bytes, the entry hash, signature verification and `verifyAuditChain`. It runs in
 * browsers as well as in Node (the console verifies a source's log in the page with the same
 * bytes the `vault` CLI checks), so it uses @noble's SHA-256 and Ed25519 instead of node:crypto
 * and Uint8Array instead of Buffer. Signing stays in audit-chain.ts, with the agents' KeyObjects.
 *
 * Pure: no I/O.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export const AUDIT_BODY_TAG = 'media-vault.audit-body.v1';
export const AUDIT_ENTRY_TAG = 'media-vault.audit-entry.v1';
/** `prev_hash` of an entry with `seq` 1: nothing came before it. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/**
 * The kinds an agent appends. Each must carry its agent's signature: the tasks service writes
 * only `grant` and `revoke` itself, so an unsigned entry of these kinds was not written through
 * the service. The contracts' `AgentAuditKinds` is the same list (checked by a test).
 */
export const SIGNED_AUDIT_KINDS: readonly string[] = ['release', 'fetch', 'compose', 'failure'];

export interface AuditActorFields {
  readonly user_id: string;
  readonly agent?: string | undefined;
}

/** What an agent signs: everything it says about what it did, and nothing about the chain. */
export interface AuditBody {
  readonly entry_id: string;
  readonly source_id: number;
  readonly source_uuid: string;
  readonly kind: string;
  /** ISO 8601, UTC, milliseconds (`Date.toISOString()`). */
  readonly at: string;
  readonly actor: AuditActorFields;
  readonly data: { readonly [key: string]: unknown };
}

export interface AuditSignatureFields {
  readonly agent: string;
  /** Raw Ed25519 public key, base64url without padding. */
  readonly signing_key: string;
  /** Ed25519 over the body bytes, base64url without padding. */
  readonly value: string;
}

export interface ChainedAuditEntry extends AuditBody {
  readonly seq: number;
  readonly prev_hash: string;
  readonly hash: string;
  readonly signature?: AuditSignatureFields | undefined;
}

/**
 * Canonical JSON (RFC 8785, JCS, for the values JSON carries): object members sorted by their
 * names' UTF-16 code units, no whitespace, strings and numbers written as ECMAScript's
 * `JSON.stringify` writes them. Members whose value is `undefined` are left out, as a JSON round
 * trip would drop them; anything JSON cannot hold (a non-finite number, a bigint, a function, a
 * Date or other non-plain object, `undefined` in an array) is refused.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON form`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        return `[${value.map((item: unknown) => {
          if (item === undefined) throw new TypeError('undefined has no JSON form in an array');
          return canonicalJson(item);
        })}]`;
      }
      const prototype = Object.getPrototypeOf(value) as unknown;
      if (prototype !== Object.prototype && prototype !== null) {
        throw new TypeError('only plain objects have a canonical JSON form');
      }
      const record = value as Record<string, unknown>;
      const members = Object.keys(record)
        .sort()
        .filter((name) => record[name] !== undefined)
        .map((name) => `${JSON.stringify(name)}:${canonicalJson(record[name])}`);
      return `{${members.join(',')}}`;
    }
    default:
      throw new TypeError(`a ${typeof value} has no JSON form`);
  }
}

const tagged = (tag: string, value: unknown): Uint8Array =>
  new TextEncoder().encode(`${tag}\n${canonicalJson(value)}`);

const actorOf = (actor: AuditActorFields): AuditActorFields => ({
  user_id: actor.user_id,
  ...(actor.agent === undefined ? {} : { agent: actor.agent }),
});

/** Exactly the body's fields, whatever else the object carries. */
export const auditBodyFields = (body: AuditBody): AuditBody => ({
  entry_id: body.entry_id,
  source_id: body.source_id,
  source_uuid: body.source_uuid,
  kind: body.kind,
  at: body.at,
  actor: actorOf(body.actor),
  data: body.data,
});

/** The bytes an agent signs: `media-vault.audit-body.v1`, LF, the body as canonical JSON. */
export const auditBodyBytes = (body: AuditBody): Uint8Array =>
  tagged(AUDIT_BODY_TAG, auditBodyFields(body));

/**
 * The bytes the chain hashes: `media-vault.audit-entry.v1`, LF, canonical JSON of the body with
 * `seq`, `prev_hash` and (when there is one) `signature`: everything but `hash`.
 */
export function auditEntryBytes(entry: Omit<ChainedAuditEntry, 'hash'>): Uint8Array {
  const { signature } = entry;
  return tagged(AUDIT_ENTRY_TAG, {
    ...auditBodyFields(entry),
    seq: entry.seq,
    prev_hash: entry.prev_hash,
    ...(signature === undefined
      ? {}
      : {
          signature: {
            agent: signature.agent,
            signing_key: signature.signing_key,
            value: signature.value,
          },
        }),
  });
}

/** `hash` of an entry: SHA-256 of its entry bytes, lowercase hex. */
export const auditEntryHash = (entry: Omit<ChainedAuditEntry, 'hash'>): string =>
  bytesToHex(sha256(auditEntryBytes(entry)));

const SIGNATURE_TEXT = /^[A-Za-z0-9_-]{86}$/;
const RAW_KEY_TEXT = /^[A-Za-z0-9+/_-]{43}=?$/;

/** base64 or base64url, padded or not, to bytes (atob exists in browsers and in Node). */
function base64Bytes(text: string): Uint8Array {
  const standard = text.replaceAll('-', '+').replaceAll('_', '/').replace(/=+$/, '');
  const binary = atob(standard + '='.repeat((4 - (standard.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A raw 32-byte key in base64 or base64url (the agents API accepts both), or undefined. */
function rawKeyBytes(text: string): Uint8Array | undefined {
  if (!RAW_KEY_TEXT.test(text)) return undefined;
  const raw = base64Bytes(text);
  return raw.length === 32 ? raw : undefined;
}

/**
 * True when `signature` is Ed25519 by `signature.signing_key` over the body's bytes. Strict RFC
 * 8032 (not ZIP 215), as OpenSSL verifies, so the browser and Node accept the same signatures.
 */
export function verifyAuditSignature(body: AuditBody, signature: AuditSignatureFields): boolean {
  if (!SIGNATURE_TEXT.test(signature.value)) return false;
  const key = rawKeyBytes(signature.signing_key);
  if (!key) return false;
  try {
    return ed25519.verify(base64Bytes(signature.value), auditBodyBytes(body), key, {
      zip215: false,
    });
  } catch {
    return false;
  }
}

/** Two encodings (base64 or base64url, padded or not) of the same raw key. */
export function sameRawKey(a: string, b: string): boolean {
  const left = rawKeyBytes(a);
  const right = rawKeyBytes(b);
  return !!left && !!right && left.every((byte, i) => byte === right[i]);
}

/** Every way a chain can be broken, with what it means. */
export const AuditBreakReasons = {
  malformed: 'the entry lacks a field of an audit entry, or a field has the wrong type',
  'wrong-source': 'the entry belongs to another source than the first entry',
  'missing-entry': 'entries before this one are missing (deleted)',
  'out-of-order': 'the entry repeats a sequence number or goes back',
  'edited-entry': 'the entry no longer hashes to its hash (edited after it was written)',
  'broken-link': "prev_hash is not the previous entry's hash (the previous entry was replaced)",
  unsigned: "an agent's entry carries no signature",
  'bad-signature': "the signature does not verify over the entry's body",
  'untrusted-key': 'signed with another key than the one trusted for that agent',
  'missing-head':
    'the chain does not hold the head recorded earlier (entries removed or rewritten)',
} as const;

export type AuditBreakReason = keyof typeof AuditBreakReasons;

export interface AuditProblem {
  readonly reason: AuditBreakReason;
  readonly message: string;
}

export interface AuditEntryCheck {
  /** Position in the list given. */
  readonly index: number;
  /** The entry's `seq`, when it has one. */
  readonly seq: number | undefined;
  readonly ok: boolean;
  readonly problems: readonly AuditProblem[];
}

export interface AuditChainReport {
  readonly ok: boolean;
  readonly entries: readonly AuditEntryCheck[];
  /** The first entry with a problem (its first problem), or the missing head. */
  readonly firstBroken?: {
    readonly index: number | undefined;
    readonly seq: number | undefined;
    readonly reason: AuditBreakReason;
    readonly message: string;
  };
  /** The last entry's `seq` and `hash`: record it to check later that nothing was cut off. */
  readonly head?: { readonly seq: number; readonly hash: string };
}

export interface VerifyAuditChainOptions {
  /** The source whose log this is; without it, the first entry's source. */
  readonly sourceId?: number;
  /**
   * Agent id → its Ed25519 public key (base64/base64url), known from somewhere other than the
   * entries themselves. An entry signed by a listed agent with any other key is refused.
   */
  readonly trustedKeys?: Readonly<Record<string, string>>;
  /**
   * A head seen earlier (`seq` and `hash`). The chain must still hold that entry: what a later
   * rewrite of the whole chain, or the removal of its last entries, cannot keep.
   */
  readonly head?: { readonly seq: number; readonly hash: string };
}

const HASH_TEXT = /^[0-9a-f]{64}$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The first missing or mistyped field of an entry, or undefined when it has the shape. */
function shapeProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'not an object';
  const text = (name: string) => typeof value[name] === 'string';
  const whole = (name: string) => Number.isSafeInteger(value[name]) && (value[name] as number) >= 1;
  if (!whole('seq')) return 'seq is not a whole number from 1';
  if (!whole('source_id')) return 'source_id is not a whole number from 1';
  for (const name of ['entry_id', 'source_uuid', 'kind', 'at']) {
    if (!text(name)) return `${name} is not a string`;
  }
  for (const name of ['prev_hash', 'hash']) {
    if (!HASH_TEXT.test(String(value[name]))) return `${name} is not 64 lowercase hex digits`;
  }
  const { actor, data, signature } = value;
  if (!isRecord(actor) || typeof actor.user_id !== 'string') return 'actor has no user_id';
  if (actor.agent !== undefined && typeof actor.agent !== 'string') return 'actor.agent';
  if (!isRecord(data)) return 'data is not an object';
  if (signature !== undefined) {
    if (!isRecord(signature)) return 'signature is not an object';
    for (const name of ['agent', 'signing_key', 'value']) {
      if (typeof signature[name] !== 'string') return `signature.${name} is not a string`;
    }
  }
  try {
    canonicalJson(data);
  } catch (err) {
    return `data: ${(err as Error).message}`;
  }
  return undefined;
}

function signatureProblems(
  entry: ChainedAuditEntry,
  trustedKeys: Readonly<Record<string, string>> | undefined,
): AuditProblem[] {
  const { signature } = entry;
  if (!signature) {
    return SIGNED_AUDIT_KINDS.includes(entry.kind)
      ? [{ reason: 'unsigned', message: `a ${entry.kind} entry must be signed by its agent` }]
      : [];
  }
  const problems: AuditProblem[] = [];
  if (signature.agent !== entry.actor.agent) {
    problems.push({
      reason: 'bad-signature',
      message: `signed by agent ${signature.agent}, but the actor is ${entry.actor.agent ?? 'no agent'}`,
    });
  }
  if (!verifyAuditSignature(entry, signature)) {
    problems.push({
      reason: 'bad-signature',
      message: `the signature of agent ${signature.agent} does not verify over the entry's body`,
    });
  }
  const trusted = trustedKeys?.[signature.agent];
  if (trusted !== undefined && !sameRawKey(trusted, signature.signing_key)) {
    problems.push({
      reason: 'untrusted-key',
      message: `agent ${signature.agent} signed with ${signature.signing_key}, not the trusted key`,
    });
  }
  return problems;
}

/**
 * Checks a source's entries as listed (in `seq` order): `seq` runs 1, 2, 3 … without a gap, each
 * `prev_hash` is the previous entry's `hash` (64 zeros for the first), each `hash` recomputes,
 * each signature verifies over its body (and agents' entries are signed). Every entry gets its
 * own result; an entry after a break is checked against the entry before it as listed, so one
 * deleted or edited entry is reported once.
 */
export function verifyAuditChain(
  entries: readonly unknown[],
  options: VerifyAuditChainOptions = {},
): AuditChainReport {
  const checks: AuditEntryCheck[] = [];
  let previous: { seq: number; hash: string } | undefined;
  let sourceId = options.sourceId;
  entries.forEach((value, index) => {
    const shape = shapeProblem(value);
    if (shape !== undefined) {
      const seq = isRecord(value) && typeof value.seq === 'number' ? value.seq : undefined;
      checks.push({ index, seq, ok: false, problems: [{ reason: 'malformed', message: shape }] });
      return;
    }
    const entry = value as unknown as ChainedAuditEntry;
    const problems: AuditProblem[] = [];
    sourceId ??= entry.source_id;
    if (entry.source_id !== sourceId) {
      problems.push({
        reason: 'wrong-source',
        message: `entry of source ${entry.source_id} in the log of source ${sourceId}`,
      });
    }
    const expected = previous ? previous.seq + 1 : 1;
    if (entry.seq > expected) {
      const gap = entry.seq === expected + 1 ? `${expected}` : `${expected} to ${entry.seq - 1}`;
      problems.push({ reason: 'missing-entry', message: `entry ${gap} is missing before it` });
    } else if (entry.seq < expected) {
      problems.push({
        reason: 'out-of-order',
        message: `seq ${entry.seq} comes after ${expected - 1}`,
      });
    } else {
      const before = previous ? previous.hash : AUDIT_GENESIS_HASH;
      if (entry.prev_hash !== before) {
        problems.push({
          reason: 'broken-link',
          message: `prev_hash ${entry.prev_hash.slice(0, 12)}… is not ${before.slice(0, 12)}…, the hash of entry ${expected - 1}`,
        });
      }
    }
    const recomputed = auditEntryHash(entry);
    if (recomputed !== entry.hash) {
      problems.push({
        reason: 'edited-entry',
        message: `its content hashes to ${recomputed.slice(0, 12)}…, not to its hash ${entry.hash.slice(0, 12)}…`,
      });
    }
    problems.push(...signatureProblems(entry, options.trustedKeys));
    checks.push({ index, seq: entry.seq, ok: problems.length === 0, problems });
    previous = { seq: entry.seq, hash: entry.hash };
  });

  const broken = checks.find((c) => !c.ok);
  let firstBroken: AuditChainReport['firstBroken'] = broken && {
    index: broken.index,
    seq: broken.seq,
    reason: broken.problems[0]!.reason,
    message: broken.problems[0]!.message,
  };
  if (!firstBroken && options.head) {
    const { seq, hash } = options.head;
    const at = entries.findIndex((e) => isRecord(e) && e.seq === seq);
    const found = at === -1 ? undefined : (entries[at] as ChainedAuditEntry).hash;
    if (found !== hash) {
      firstBroken = {
        index: at === -1 ? undefined : at,
        seq,
        reason: 'missing-head',
        message:
          found === undefined
            ? `the chain has no entry ${seq}; it had ${hash.slice(0, 12)}…`
            : `entry ${seq} is now ${found.slice(0, 12)}…, it was ${hash.slice(0, 12)}…`,
      };
    }
  }
  return {
    ok: firstBroken === undefined,
    entries: checks,
    ...(firstBroken ? { firstBroken } : {}),
    ...(previous ? { head: previous } : {}),
  };
}
