import {
  createPrivateKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import {
  decodeRawKey,
  encodeRawKey,
  importPublicKey,
  keyFingerprint,
  rawPublicKey,
} from './agent-identity.js';

/*
 * What an owner signs so that agents, not the platform, decide who receives a master's key. The
 * platform stores and serves these statements; it holds no owner key, so it can neither forge a
 * grant nor widen one. Canonical bytes are defined in docs/sealed-format.md ("Grant statements").
 */

const GRANT_HEADER = 'media-vault grant v1';
const REVOCATION_HEADER = 'media-vault revocation v1';

/** The owner's authorisation for one recipient agent to receive one source's private block. */
export interface GrantStatement {
  /** Unique per statement (a UUID): a re-grant is a new statement. */
  readonly id: string;
  /** ISO 8601 UTC with milliseconds, as `Date#toISOString` writes it. */
  readonly issued_at: string;
  /** The source's uuid as its uploader named it, the one its segments are bound to. */
  readonly source: string;
  /** CID of the public block the grant is for. */
  readonly public_block: string;
  /** The owner's user id. */
  readonly owner: string;
  /** The agent whose vault holds the private block, and its Ed25519 key fingerprint. */
  readonly sealer: string;
  readonly sealer_signing_key: string;
  /** The user granted, their agent and its X25519 and Ed25519 key fingerprints. */
  readonly recipient: string;
  readonly recipient_agent: string;
  readonly recipient_public_key: string;
  readonly recipient_signing_key: string;
  /** The window, ISO 8601 UTC with milliseconds; null: open on that side. */
  readonly not_before: string | null;
  readonly not_after: string | null;
}

export interface SignedGrant {
  readonly statement: GrantStatement;
  /** Ed25519 signature of the statement's canonical bytes, base64url. */
  readonly signature: string;
  /** The owner's raw Ed25519 public key, base64url: a hint; verifiers use the key they trust. */
  readonly owner_key: string;
}

/** The owner's withdrawal of one grant statement. */
export interface RevocationStatement {
  readonly grant: string;
  readonly source: string;
  readonly revoked_at: string;
}

export interface SignedRevocation {
  readonly statement: RevocationStatement;
  readonly signature: string;
  readonly owner_key: string;
}

/** An owner's Ed25519 key pair. The private key stays a KeyObject so it is never logged. */
export interface OwnerKey {
  readonly signingKey: KeyObject;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

export const OWNER_KEY_FILE = 'owner.json';
const OWNER_KEY_KIND = 'media-vault owner key';

export function generateOwnerKey(): OwnerKey {
  return ownerKeyOf(generateKeyPairSync('ed25519').privateKey);
}

/** The owner key file: JSON, the private key as PKCS#8 PEM. Keep it mode 0600. */
export function exportOwnerKey(key: OwnerKey): string {
  return `${JSON.stringify(
    {
      kind: OWNER_KEY_KIND,
      version: 1,
      public_key: encodeRawKey(key.publicKey),
      signing_key: key.signingKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    },
    null,
    2,
  )}\n`;
}

export function loadOwnerKey(text: string): OwnerKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TypeError('the owner key file is not JSON');
  }
  const file = parsed as { kind?: unknown; signing_key?: unknown; public_key?: unknown };
  if (file.kind !== OWNER_KEY_KIND || typeof file.signing_key !== 'string') {
    throw new TypeError(`the owner key file is not a "${OWNER_KEY_KIND}" file`);
  }
  const key = ownerKeyOf(createPrivateKey({ key: file.signing_key, format: 'pem' }));
  if (typeof file.public_key === 'string' && file.public_key !== encodeRawKey(key.publicKey)) {
    throw new TypeError('the owner key file names a public key that is not its own');
  }
  return key;
}

/** Only the public half of an owner key file, for the agents that verify what it signs. */
export function ownerPublicKeyOf(text: string): Uint8Array {
  return loadOwnerKey(text).publicKey;
}

/** An owner key from its private half (raw 32 bytes via importPrivateKey, PEM, or a KeyObject). */
export function ownerKeyOf(signingKey: KeyObject): OwnerKey {
  if (signingKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`an owner key is Ed25519, not ${signingKey.asymmetricKeyType ?? '?'}`);
  }
  return { signingKey, publicKey: rawPublicKey(signingKey) };
}

/** Lowercase hex SHA-256 of a raw public key: how statements name keys. */
export const fingerprintHex = (rawKey: Uint8Array): string =>
  keyFingerprint(rawKey).toString('hex');

/** A fingerprint for people to compare: the first 16 bytes in groups of four hex digits. */
export const fingerprintDisplay = (fingerprint: string): string =>
  (fingerprint.slice(0, 32).match(/.{4}/g) ?? []).join(' ');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A source's uuid is whatever its uploader named it (seed 000): any text on one line. */
const isSourceUuid = (text: string): boolean =>
  text.length >= 1 && text.length <= 128 && ![...text].some((c) => c < ' ' || c === '\u007f');
const SOURCE = { test: isSourceUuid };
const FINGERPRINT = /^[0-9a-f]{64}$/;
const TOKEN = /^[A-Za-z0-9_.@-]{1,128}$/;
const CID = /^[A-Za-z0-9]{1,128}$/;

function field(name: string, value: string, rule: { test(text: string): boolean }): string {
  if (!rule.test(value)) throw new TypeError(`${name}: ${JSON.stringify(value)} is not valid`);
  return value;
}

function time(name: string, value: string | null): string {
  if (value === null) return '-';
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString() !== value) {
    throw new TypeError(`${name}: ${JSON.stringify(value)} is not an ISO 8601 UTC time with ms`);
  }
  return value;
}

/** The bytes an owner signs for a grant: fixed field order, one `name: value` line each. */
export function grantCanonicalBytes(s: GrantStatement): Buffer {
  if (s.not_before !== null && s.not_after !== null && s.not_after <= s.not_before) {
    throw new TypeError('not_after: must be later than not_before');
  }
  const lines = [
    GRANT_HEADER,
    `id: ${field('id', s.id, UUID)}`,
    `issued_at: ${time('issued_at', s.issued_at)}`,
    `source: ${field('source', s.source, SOURCE)}`,
    `public_block: ${field('public_block', s.public_block, CID)}`,
    `owner: ${field('owner', s.owner, TOKEN)}`,
    `sealer: ${field('sealer', s.sealer, TOKEN)}`,
    `sealer_signing_key: ${field('sealer_signing_key', s.sealer_signing_key, FINGERPRINT)}`,
    `recipient: ${field('recipient', s.recipient, TOKEN)}`,
    `recipient_agent: ${field('recipient_agent', s.recipient_agent, TOKEN)}`,
    `recipient_public_key: ${field('recipient_public_key', s.recipient_public_key, FINGERPRINT)}`,
    `recipient_signing_key: ${field('recipient_signing_key', s.recipient_signing_key, FINGERPRINT)}`,
    `not_before: ${time('not_before', s.not_before)}`,
    `not_after: ${time('not_after', s.not_after)}`,
  ];
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

export function revocationCanonicalBytes(s: RevocationStatement): Buffer {
  const lines = [
    REVOCATION_HEADER,
    `grant: ${field('grant', s.grant, UUID)}`,
    `source: ${field('source', s.source, SOURCE)}`,
    `revoked_at: ${time('revoked_at', s.revoked_at)}`,
  ];
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

export function signGrant(statement: GrantStatement, owner: OwnerKey): SignedGrant {
  return {
    statement,
    signature: sign(null, grantCanonicalBytes(statement), owner.signingKey).toString('base64url'),
    owner_key: encodeRawKey(owner.publicKey),
  };
}

export function signRevocation(statement: RevocationStatement, owner: OwnerKey): SignedRevocation {
  return {
    statement,
    signature: sign(null, revocationCanonicalBytes(statement), owner.signingKey).toString(
      'base64url',
    ),
    owner_key: encodeRawKey(owner.publicKey),
  };
}

/** Why a signed statement does not verify, or undefined when it does. */
function signatureProblem(bytes: () => Buffer, signature: string, ownerKey: Uint8Array) {
  let canonical: Buffer;
  try {
    canonical = bytes();
  } catch (error) {
    return `the statement is malformed (${(error as Error).message})`;
  }
  if (!/^[A-Za-z0-9_-]{86}$/.test(signature)) return 'the signature is not 64 bytes of base64url';
  const ok = verify(
    null,
    canonical,
    importPublicKey('ed25519', ownerKey),
    Buffer.from(signature, 'base64url'),
  );
  return ok ? undefined : "the signature is not the owner's";
}

/** Verifies a grant against the owner key the verifier trusts; the reason when it fails. */
export function grantSignatureProblem(
  signed: SignedGrant,
  ownerKey: Uint8Array,
): string | undefined {
  return signatureProblem(() => grantCanonicalBytes(signed.statement), signed.signature, ownerKey);
}

export function revocationSignatureProblem(
  signed: SignedRevocation,
  ownerKey: Uint8Array,
): string | undefined {
  return signatureProblem(
    () => revocationCanonicalBytes(signed.statement),
    signed.signature,
    ownerKey,
  );
}

/** Whether `now` lies inside the statement's window; the reason when it does not. */
export function grantWindowProblem(statement: GrantStatement, now: Date): string | undefined {
  if (statement.not_before !== null && now < new Date(statement.not_before)) {
    return `the grant is valid from ${statement.not_before}`;
  }
  if (statement.not_after !== null && now >= new Date(statement.not_after)) {
    return `the grant expired at ${statement.not_after}`;
  }
  return undefined;
}

/** The public key of a base64url owner key field, for callers holding only the text form. */
export const ownerKeyFromText = (text: string): Uint8Array => decodeRawKey(text);

/** An agent as the agents API shows it: raw public keys in base64url. */
export interface AgentKeys {
  readonly id: string;
  readonly user_id: string;
  readonly public_key: string;
  readonly signing_key: string;
}

/**
 * A new statement for the grant an owner is about to sign: a fresh id and time, keys named by the
 * fingerprints of the records given (which the owner should compare out of band first).
 */
export function grantStatementFor(input: {
  readonly source: { readonly uuid: string; readonly publicBlock: string; readonly owner: string };
  readonly sealer: Pick<AgentKeys, 'id' | 'signing_key'>;
  readonly recipient: AgentKeys;
  readonly notBefore?: Date | null;
  readonly notAfter?: Date | null;
  readonly now?: Date;
}): GrantStatement {
  const fp = (key: string) => fingerprintHex(decodeRawKey(key));
  const statement: GrantStatement = {
    id: randomUUID(),
    issued_at: (input.now ?? new Date()).toISOString(),
    source: input.source.uuid,
    public_block: input.source.publicBlock,
    owner: input.source.owner,
    sealer: input.sealer.id,
    sealer_signing_key: fp(input.sealer.signing_key),
    recipient: input.recipient.user_id,
    recipient_agent: input.recipient.id,
    recipient_public_key: fp(input.recipient.public_key),
    recipient_signing_key: fp(input.recipient.signing_key),
    not_before: input.notBefore?.toISOString() ?? null,
    not_after: input.notAfter?.toISOString() ?? null,
  };
  grantCanonicalBytes(statement);
  return statement;
}
