import { sign, timingSafeEqual, verify } from 'node:crypto';
import {
  checkAgentId,
  importPublicKey,
  keyFingerprint,
  type AgentIdentity,
} from './agent-identity.js';
import { asBuffer, ByteReader, uint32, uint64, uint8 } from './binary.js';
import { SealedFormatError } from './errors.js';
import { HPKE_ENCAPSULATED_KEY_LENGTH, hpkeOpen, hpkeSender } from './hpke.js';
import { decodePrivateBlock, encodePrivateBlock, type PrivateBlock } from './private-block.js';
import { SOURCE_BINDING_LENGTH, sourceBinding } from './source-binding.js';

export const KEY_ENVELOPE_MAGIC = Buffer.from('MVKE', 'ascii');
export const KEY_ENVELOPE_VERSION = 1;
/** HPKE `info`: ties the derived key to this use, so it cannot open anything else. */
export const KEY_ENVELOPE_HPKE_INFO = Buffer.from('media-vault.key-envelope.v1', 'ascii');
const SIGNATURE_LENGTH = 64;
const FINGERPRINT_LENGTH = 32;
const HAS_NOT_BEFORE = 0b01;
const HAS_NOT_AFTER = 0b10;

/** The clear part of an envelope. Read without verification it is only a routing hint. */
export interface KeyEnvelopeHeader {
  readonly version: number;
  readonly sourceBinding: Buffer;
  readonly createdAt: Date;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** The releasing agent. */
  readonly signerId: string;
  readonly signerKeyFingerprint: Buffer;
  readonly recipientId: string;
  readonly recipientKeyFingerprint: Buffer;
  /** HPKE `enc`: the ephemeral X25519 public key. */
  readonly encapsulatedKey: Buffer;
}

/** What sealing needs of the releasing agent. */
export type EnvelopeSigner = Pick<AgentIdentity, 'id' | 'signingKey' | 'signingPublicKey'>;

/** What opening needs of the addressed agent. */
export type EnvelopeOpener = Pick<AgentIdentity, 'id' | 'encryptionKey' | 'publicKey'>;

export interface EnvelopeRecipient {
  readonly id: string;
  /** Raw X25519 public key, as registered with the agents API. */
  readonly publicKey: Uint8Array;
}

export interface ExpectedSigner {
  /** Raw Ed25519 public key of the agent that must have released the envelope. */
  readonly signingPublicKey: Uint8Array;
  readonly id?: string;
}

export interface SealKeyEnvelopeOptions {
  readonly privateBlock: PrivateBlock;
  /** The releasing agent: its id goes in the header, its Ed25519 key signs. */
  readonly signer: EnvelopeSigner;
  readonly recipient: EnvelopeRecipient;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly createdAt?: Date;
  /** Test vectors only. A fresh random ephemeral key per envelope is what keeps envelopes apart. */
  readonly ephemeralPrivateKey?: Uint8Array;
}

export interface OpenKeyEnvelopeOptions {
  /** The opening agent; the envelope must be addressed to its id and X25519 key. */
  readonly recipient: EnvelopeOpener;
  readonly signer: ExpectedSigner;
  /** When given, an envelope for any other source is refused before decryption. */
  readonly sourceUuid?: string;
  readonly now?: Date;
}

export interface OpenedKeyEnvelope {
  readonly header: KeyEnvelopeHeader;
  readonly privateBlock: PrivateBlock;
}

/**
 * Seals a private block to one agent (the DCI KDM idea): HPKE to the recipient's X25519 key with
 * the whole clear header as AAD, then an Ed25519 signature by the releasing agent over header and
 * ciphertext. Only the addressed agent can decrypt; anyone holding the releaser's public key can
 * tell a genuine envelope from a forged or altered one before trying.
 */
export async function sealKeyEnvelope(options: SealKeyEnvelopeOptions): Promise<Buffer> {
  const { privateBlock, signer, recipient } = options;
  const notBefore = options.notBefore && unixSeconds(options.notBefore);
  const notAfter = options.notAfter && unixSeconds(options.notAfter);
  if (notBefore !== undefined && notAfter !== undefined && notBefore > notAfter) {
    throw new RangeError('not_before is after not_after');
  }
  const sender = await hpkeSender(
    recipient.publicKey,
    KEY_ENVELOPE_HPKE_INFO,
    options.ephemeralPrivateKey,
  );
  const header = encodeHeader({
    flags:
      (notBefore !== undefined ? HAS_NOT_BEFORE : 0) | (notAfter !== undefined ? HAS_NOT_AFTER : 0),
    binding: sourceBinding(privateBlock.sourceUuid),
    createdAt: unixSeconds(options.createdAt ?? new Date()),
    notBefore: notBefore ?? 0,
    notAfter: notAfter ?? 0,
    signerKeyFingerprint: keyFingerprint(signer.signingPublicKey),
    recipientKeyFingerprint: keyFingerprint(recipient.publicKey),
    encapsulatedKey: sender.encapsulatedKey,
    signerId: checkAgentId(signer.id),
    recipientId: checkAgentId(recipient.id),
  });
  const plaintext = encodePrivateBlock(privateBlock);
  let ciphertext: Buffer;
  try {
    ciphertext = await sender.seal(plaintext, header);
  } finally {
    // The encoded block holds the content key in clear; the caller's own copy is the caller's.
    plaintext.fill(0);
  }
  const signed = Buffer.concat([header, uint32(ciphertext.length), ciphertext]);
  return Buffer.concat([signed, sign(null, signed, signer.signingKey)]);
}

/**
 * Checks in an order that never acts on unauthenticated bytes: layout, signature, source,
 * recipient, time window, decryption, then the private block inside. Each failure has its own
 * SealedFormatError reason.
 */
export async function openKeyEnvelope(
  envelope: Uint8Array,
  options: OpenKeyEnvelopeOptions,
): Promise<OpenedKeyEnvelope> {
  const parsed = parseEnvelope(envelope);
  const { header } = parsed;
  checkSignature(parsed, options.signer);
  if (options.sourceUuid !== undefined) checkSource(header, options.sourceUuid);
  checkRecipient(header, options.recipient);
  checkWindow(header, options.now ?? new Date());

  let plaintext: Buffer;
  try {
    plaintext = await hpkeOpen(
      options.recipient.encryptionKey,
      header.encapsulatedKey,
      KEY_ENVELOPE_HPKE_INFO,
      parsed.headerBytes,
      parsed.ciphertext,
    );
  } catch (cause) {
    throw new SealedFormatError(
      'decryption-failed',
      `the envelope for ${header.recipientId} does not decrypt with its key`,
      { cause },
    );
  }
  let privateBlock: PrivateBlock;
  try {
    privateBlock = decodePrivateBlock(plaintext);
  } finally {
    // Decoding copied the key out; the decrypted bytes are not left for the collector.
    plaintext.fill(0);
  }
  // The header is signed, but the releaser could still have sealed another source's block under it.
  checkSource(header, privateBlock.sourceUuid);
  return { header, privateBlock };
}

/** The header without any check, e.g. to look up the releasing agent's key by its id. */
export function readKeyEnvelopeHeader(envelope: Uint8Array): KeyEnvelopeHeader {
  return parseEnvelope(envelope).header;
}

/** The sealing agent's own copy: addressed and signed to itself, with no time window. */
export function sealVaultCopy(
  privateBlock: PrivateBlock,
  self: AgentIdentity,
  createdAt?: Date,
): Promise<Buffer> {
  return sealKeyEnvelope({
    privateBlock,
    signer: self,
    recipient: self,
    ...(createdAt ? { createdAt } : {}),
  });
}

export async function openVaultCopy(
  envelope: Uint8Array,
  self: AgentIdentity,
  sourceUuid?: string,
): Promise<PrivateBlock> {
  const opened = await openKeyEnvelope(envelope, {
    recipient: self,
    signer: self,
    ...(sourceUuid !== undefined ? { sourceUuid } : {}),
  });
  return opened.privateBlock;
}

interface HeaderFields {
  readonly flags: number;
  readonly binding: Buffer;
  readonly createdAt: number;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly signerKeyFingerprint: Buffer;
  readonly recipientKeyFingerprint: Buffer;
  readonly encapsulatedKey: Buffer;
  readonly signerId: string;
  readonly recipientId: string;
}

function encodeHeader(fields: HeaderFields): Buffer {
  const signerId = Buffer.from(fields.signerId, 'ascii');
  const recipientId = Buffer.from(fields.recipientId, 'ascii');
  return Buffer.concat([
    KEY_ENVELOPE_MAGIC,
    uint8(KEY_ENVELOPE_VERSION),
    uint8(fields.flags),
    fields.binding,
    uint64(fields.createdAt),
    uint64(fields.notBefore),
    uint64(fields.notAfter),
    fields.signerKeyFingerprint,
    fields.recipientKeyFingerprint,
    fields.encapsulatedKey,
    uint8(signerId.length),
    signerId,
    uint8(recipientId.length),
    recipientId,
  ]);
}

interface ParsedEnvelope {
  readonly header: KeyEnvelopeHeader;
  /** The HPKE AAD. */
  readonly headerBytes: Buffer;
  readonly ciphertext: Buffer;
  /** Everything the signature covers. */
  readonly signed: Buffer;
  readonly signature: Buffer;
}

function parseEnvelope(envelope: Uint8Array): ParsedEnvelope {
  const bytes = asBuffer(envelope);
  const reader = new ByteReader(bytes, 'key envelope');
  reader.preamble(KEY_ENVELOPE_MAGIC, KEY_ENVELOPE_VERSION);
  const flags = reader.uint8();
  if ((flags & ~(HAS_NOT_BEFORE | HAS_NOT_AFTER)) !== 0) {
    throw new SealedFormatError('malformed', `unknown key envelope flags ${flags}`);
  }
  const binding = reader.take(SOURCE_BINDING_LENGTH);
  const createdAt = reader.uint64();
  const notBefore = optionalTime(reader.uint64(), flags & HAS_NOT_BEFORE, 'not_before');
  const notAfter = optionalTime(reader.uint64(), flags & HAS_NOT_AFTER, 'not_after');
  const signerKeyFingerprint = reader.take(FINGERPRINT_LENGTH);
  const recipientKeyFingerprint = reader.take(FINGERPRINT_LENGTH);
  const encapsulatedKey = reader.take(HPKE_ENCAPSULATED_KEY_LENGTH);
  const signerId = agentIdField(reader);
  const recipientId = agentIdField(reader);
  const headerEnd = reader.position;
  const ciphertext = reader.take(reader.uint32());
  const signedEnd = reader.position;
  const signature = reader.take(SIGNATURE_LENGTH);
  reader.end();
  return {
    header: {
      version: KEY_ENVELOPE_VERSION,
      sourceBinding: binding,
      createdAt: new Date(createdAt * 1000),
      ...(notBefore ? { notBefore } : {}),
      ...(notAfter ? { notAfter } : {}),
      signerId,
      signerKeyFingerprint,
      recipientId,
      recipientKeyFingerprint,
      encapsulatedKey,
    },
    headerBytes: bytes.subarray(0, headerEnd),
    ciphertext,
    signed: bytes.subarray(0, signedEnd),
    signature,
  };
}

/** An absent bound must be stored as 0, so that every header has exactly one encoding. */
function optionalTime(seconds: number, present: number, what: string): Date | undefined {
  if (present) return new Date(seconds * 1000);
  if (seconds !== 0) throw new SealedFormatError('malformed', `${what} is set but flagged absent`);
  return undefined;
}

function agentIdField(reader: ByteReader): string {
  const id = reader.take(reader.uint8()).toString('latin1');
  try {
    return checkAgentId(id);
  } catch (cause) {
    throw new SealedFormatError('malformed', 'key envelope: bad agent id', { cause });
  }
}

function checkSignature(parsed: ParsedEnvelope, signer: ExpectedSigner): void {
  const { header } = parsed;
  if (signer.id !== undefined && signer.id !== header.signerId) {
    throw new SealedFormatError(
      'bad-signature',
      `released by ${header.signerId}, expected ${signer.id}`,
    );
  }
  const fingerprintMatches = sameBytes(
    keyFingerprint(signer.signingPublicKey),
    header.signerKeyFingerprint,
  );
  const key = importPublicKey('ed25519', signer.signingPublicKey);
  if (!fingerprintMatches || !verify(null, parsed.signed, key, parsed.signature)) {
    throw new SealedFormatError(
      'bad-signature',
      `the envelope is not signed by the expected key of ${header.signerId}`,
    );
  }
}

function checkSource(header: KeyEnvelopeHeader, sourceUuid: string): void {
  if (!sameBytes(sourceBinding(sourceUuid), header.sourceBinding)) {
    throw new SealedFormatError('wrong-source', `the envelope is not for source ${sourceUuid}`);
  }
}

function checkRecipient(header: KeyEnvelopeHeader, recipient: EnvelopeOpener): void {
  const keyMatches = sameBytes(keyFingerprint(recipient.publicKey), header.recipientKeyFingerprint);
  if (header.recipientId !== recipient.id || !keyMatches) {
    throw new SealedFormatError(
      'wrong-recipient',
      `the envelope is addressed to ${header.recipientId}${keyMatches ? '' : " (another agent's key)"}, not to ${recipient.id}`,
    );
  }
}

/** Bounds are inclusive and in whole seconds, as stored. */
function checkWindow(header: KeyEnvelopeHeader, now: Date): void {
  const at = Math.floor(now.getTime() / 1000) * 1000;
  const early = header.notBefore !== undefined && at < header.notBefore.getTime();
  const late = header.notAfter !== undefined && at > header.notAfter.getTime();
  if (early || late) {
    throw new SealedFormatError(
      'outside-window',
      `the envelope is valid from ${header.notBefore?.toISOString() ?? 'any time'} to ${header.notAfter?.toISOString() ?? 'any time'}, not at ${now.toISOString()}`,
    );
  }
}

function unixSeconds(date: Date): number {
  const seconds = Math.floor(date.getTime() / 1000);
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new RangeError(`${String(date)} is not a time after 1970`);
  }
  return seconds;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
