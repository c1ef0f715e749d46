import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  type JsonWebKey,
} from 'node:crypto';

export const RAW_KEY_LENGTH = 32;
export type AgentKeyType = 'x25519' | 'ed25519';

/** The agents API's rule for ids (AgentId in @media-vault/contracts); ids become NATS tokens. */
const AGENT_ID = /^[A-Za-z0-9_-]{3,64}$/;

/**
 * An ipfs-worker's two key pairs: X25519 to receive private blocks, Ed25519 to sign the ones it
 * releases. Private keys stay KeyObjects so they are never logged or serialised by accident.
 */
export interface AgentIdentity {
  readonly id: string;
  readonly encryptionKey: KeyObject;
  readonly signingKey: KeyObject;
  /** Raw 32-byte X25519 public key. */
  readonly publicKey: Uint8Array;
  /** Raw 32-byte Ed25519 public key. */
  readonly signingPublicKey: Uint8Array;
}

/** Raw 32 bytes, a PKCS#8 PEM, a JWK, or a KeyObject already loaded. */
export type PrivateKeyInput = Uint8Array | string | JsonWebKey | KeyObject;
/** Raw 32 bytes, base64/base64url of them (the agents API form), an SPKI PEM, or a JWK. */
export type PublicKeyInput = Uint8Array | string | JsonWebKey | KeyObject;

export function generateAgentIdentity(id: string): AgentIdentity {
  return identityOf(
    id,
    generateKeyPairSync('x25519').privateKey,
    generateKeyPairSync('ed25519').privateKey,
  );
}

export function loadAgentIdentity(input: {
  readonly id: string;
  readonly encryptionKey: PrivateKeyInput;
  readonly signingKey: PrivateKeyInput;
}): AgentIdentity {
  return identityOf(
    input.id,
    importPrivateKey('x25519', input.encryptionKey),
    importPrivateKey('ed25519', input.signingKey),
  );
}

/** PKCS#8 PEM, for the key file an agent keeps beside its vault directory. */
export function exportAgentIdentity(identity: AgentIdentity): {
  id: string;
  encryptionKey: string;
  signingKey: string;
} {
  const pem = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
  return {
    id: identity.id,
    encryptionKey: pem(identity.encryptionKey),
    signingKey: pem(identity.signingKey),
  };
}

/** The `public_key` and `signing_key` fields of `POST /api/v1/agents/`. */
export function agentPublicKeys(identity: AgentIdentity): {
  public_key: string;
  signing_key: string;
} {
  return {
    public_key: encodeRawKey(identity.publicKey),
    signing_key: encodeRawKey(identity.signingPublicKey),
  };
}

/** base64url without padding: the form the agents API stores. */
export function encodeRawKey(raw: Uint8Array): string {
  return Buffer.from(checkRaw(raw)).toString('base64url');
}

/** Accepts base64 or base64url, padded or not, as the agents API does. */
export function decodeRawKey(text: string): Buffer {
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    throw new TypeError('a raw key is 32 bytes in base64 or base64url (43 characters)');
  }
  return checkRaw(Buffer.from(text.replaceAll('+', '-').replaceAll('/', '_'), 'base64url'));
}

/** SHA-256 of the raw public key: how envelope headers name keys without repeating them. */
export function keyFingerprint(rawPublicKey: Uint8Array): Buffer {
  return createHash('sha256').update(checkRaw(rawPublicKey)).digest();
}

export function importPrivateKey(type: AgentKeyType, input: PrivateKeyInput): KeyObject {
  let key: KeyObject;
  if (input instanceof KeyObject) key = input;
  else if (input instanceof Uint8Array) key = privateKeyFromRaw(type, input);
  else if (typeof input === 'string') key = createPrivateKey({ key: input, format: 'pem' });
  else key = createPrivateKey({ key: input, format: 'jwk' });
  return checkKeyObject(key, type, 'private');
}

export function importPublicKey(type: AgentKeyType, input: PublicKeyInput): KeyObject {
  let key: KeyObject;
  if (input instanceof KeyObject) key = input;
  else if (input instanceof Uint8Array) key = publicKeyFromRaw(type, input);
  else if (typeof input !== 'string') key = createPublicKey({ key: input, format: 'jwk' });
  else if (input.includes('-----BEGIN')) key = createPublicKey({ key: input, format: 'pem' });
  else key = publicKeyFromRaw(type, decodeRawKey(input));
  return checkKeyObject(key, type, 'public');
}

/** The raw 32 bytes of a public key, or of the public half of a private key. */
export function rawPublicKey(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return jwkBytes(publicKey, 'x');
}

export function rawPrivateKey(key: KeyObject): Buffer {
  return jwkBytes(key, 'd');
}

export function checkAgentId(id: string): string {
  if (!AGENT_ID.test(id)) {
    throw new TypeError(`agent id ${JSON.stringify(id)} is not 3..64 of A-Z a-z 0-9 _ -`);
  }
  return id;
}

function identityOf(id: string, encryptionKey: KeyObject, signingKey: KeyObject): AgentIdentity {
  return {
    id: checkAgentId(id),
    encryptionKey,
    signingKey,
    publicKey: rawPublicKey(encryptionKey),
    signingPublicKey: rawPublicKey(signingKey),
  };
}

/**
 * RFC 8410 PKCS#8 for a raw private key: a fixed prefix then the 32 bytes. Node's JWK import
 * would also need the public half, which is what we want to derive.
 */
const PKCS8_PREFIX: Record<AgentKeyType, Buffer> = {
  x25519: Buffer.from('302e020100300506032b656e04220420', 'hex'),
  ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
};

function privateKeyFromRaw(type: AgentKeyType, raw: Uint8Array): KeyObject {
  const der = Buffer.concat([PKCS8_PREFIX[type], checkRaw(raw)]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

function publicKeyFromRaw(type: AgentKeyType, raw: Uint8Array): KeyObject {
  const x = Buffer.from(checkRaw(raw)).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: JWK_CURVE[type], x }, format: 'jwk' });
}

const JWK_CURVE: Record<AgentKeyType, string> = { x25519: 'X25519', ed25519: 'Ed25519' };

function jwkBytes(key: KeyObject, field: 'x' | 'd'): Buffer {
  const value = key.export({ format: 'jwk' })[field];
  if (typeof value !== 'string') throw new TypeError(`the key has no ${field} component`);
  return Buffer.from(value, 'base64url');
}

function checkKeyObject(key: KeyObject, type: AgentKeyType, kind: 'public' | 'private'): KeyObject {
  if (key.asymmetricKeyType !== type) {
    throw new TypeError(`expected an ${type} key, got ${key.asymmetricKeyType ?? key.type}`);
  }
  if (kind === 'private' && key.type !== 'private') throw new TypeError(`expected a private key`);
  // A private key is accepted where a public one is asked for; only its public half is used.
  return kind === 'public' && key.type === 'private' ? createPublicKey(key) : key;
}

function checkRaw<T extends Uint8Array>(raw: T): T {
  if (raw.length !== RAW_KEY_LENGTH) {
    throw new TypeError(`a raw key is ${RAW_KEY_LENGTH} bytes, not ${raw.length}`);
  }
  return raw;
}

/** The file an agent keeps its identity in, inside its key directory (AGENT_DIR). */
export const AGENT_IDENTITY_FILE = 'identity.json';
