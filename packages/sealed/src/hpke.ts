import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import type { KeyObject, webcrypto } from 'node:crypto';
import { importPrivateKey, rawPrivateKey, rawPublicKey } from './agent-identity.js';

/**
 * RFC 9180 base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-256-GCM. Using a
 * conforming implementation rather than hand-built X25519 + HKDF means any RFC 9180 library can
 * open an envelope given this document's header layout.
 */
const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

export const HPKE_ENCAPSULATED_KEY_LENGTH = 32;

export interface HpkeSender {
  /** The ephemeral public key, needed before sealing because the header that carries it is AAD. */
  readonly encapsulatedKey: Buffer;
  seal(plaintext: Uint8Array, aad: Uint8Array): Promise<Buffer>;
}

export async function hpkeSender(
  recipientPublicKey: Uint8Array,
  info: Uint8Array,
  ephemeralPrivateKey?: Uint8Array,
): Promise<HpkeSender> {
  const context = await suite.createSenderContext({
    recipientPublicKey: await suite.kem.deserializePublicKey(recipientPublicKey),
    info,
    ...(ephemeralPrivateKey
      ? { ekm: await keyPair(importPrivateKey('x25519', ephemeralPrivateKey)) }
      : {}),
  });
  return {
    encapsulatedKey: Buffer.from(context.enc),
    seal: async (plaintext, aad) => Buffer.from(await context.seal(plaintext, aad)),
  };
}

/** Rejects (with the library's error) when the key, the encapsulated key, info or AAD differ. */
export async function hpkeOpen(
  recipientKey: KeyObject,
  encapsulatedKey: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Buffer> {
  const context = await suite.createRecipientContext({
    recipientKey: await keyPair(recipientKey),
    enc: encapsulatedKey,
    info,
  });
  return Buffer.from(await context.open(ciphertext, aad));
}

async function keyPair(privateKey: KeyObject): Promise<webcrypto.CryptoKeyPair> {
  return {
    privateKey: await suite.kem.deserializePrivateKey(rawPrivateKey(privateKey)),
    publicKey: await suite.kem.deserializePublicKey(rawPublicKey(privateKey)),
  };
}
