import { RegisterAgentBody } from '@media-vault/contracts';
import { Value } from '@sinclair/typebox/value';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  agentPublicKeys,
  decodeRawKey,
  encodeRawKey,
  exportAgentIdentity,
  generateAgentIdentity,
  importPrivateKey,
  importPublicKey,
  keyFingerprint,
  loadAgentIdentity,
  rawPublicKey,
} from '../src/index.js';
import { hex } from './helpers.js';

const agent = generateAgentIdentity('studio-agent-1');

describe('agent identity', () => {
  it('has raw 32-byte public keys that are the halves of its private keys', () => {
    expect(agent.publicKey).toHaveLength(32);
    expect(agent.signingPublicKey).toHaveLength(32);
    expect(agent.encryptionKey.asymmetricKeyType).toBe('x25519');
    expect(agent.signingKey.asymmetricKeyType).toBe('ed25519');
    expect(rawPublicKey(createPublicKey(agent.encryptionKey))).toEqual(
      Buffer.from(agent.publicKey),
    );
  });

  it('registers with the agents API in the encoding its schema accepts', () => {
    const body = { id: agent.id, peer_id: '12D3KooWExample', ...agentPublicKeys(agent) };
    expect(Value.Errors(RegisterAgentBody, body).First()).toBeUndefined();
    expect(decodeRawKey(body.public_key)).toEqual(Buffer.from(agent.publicKey));
    expect(decodeRawKey(body.signing_key)).toEqual(Buffer.from(agent.signingPublicKey));
  });

  it('loads back from its PEM export with the same keys', () => {
    const loaded = loadAgentIdentity(exportAgentIdentity(agent));
    expect(loaded.id).toBe(agent.id);
    expect(loaded.publicKey).toEqual(agent.publicKey);
    expect(loaded.signingPublicKey).toEqual(agent.signingPublicKey);
  });

  it('loads from JWK, raw bytes or KeyObjects as well', () => {
    const jwk = loadAgentIdentity({
      id: agent.id,
      encryptionKey: agent.encryptionKey.export({ format: 'jwk' }),
      signingKey: agent.signingKey.export({ format: 'jwk' }),
    });
    const raw = loadAgentIdentity({
      id: agent.id,
      encryptionKey: Buffer.from(agent.encryptionKey.export({ format: 'jwk' }).d!, 'base64url'),
      signingKey: Buffer.from(agent.signingKey.export({ format: 'jwk' }).d!, 'base64url'),
    });
    const objects = loadAgentIdentity(agent);
    for (const loaded of [jwk, raw, objects]) {
      expect(hex(loaded.publicKey)).toBe(hex(agent.publicKey));
      expect(hex(loaded.signingPublicKey)).toBe(hex(agent.signingPublicKey));
    }
  });

  it('refuses a key of the wrong type or a public key where a private one is needed', () => {
    const ed = generateKeyPairSync('ed25519');
    expect(() => importPrivateKey('x25519', ed.privateKey)).toThrow(/x25519/);
    expect(() => importPrivateKey('ed25519', ed.publicKey)).toThrow(/private/);
    expect(() => importPrivateKey('x25519', Buffer.alloc(31))).toThrow(/32 bytes/);
  });

  it('refuses an id the agents API would refuse', () => {
    expect(() => generateAgentIdentity('a.b')).toThrow(TypeError);
    expect(() => generateAgentIdentity('ab')).toThrow(TypeError);
    expect(() => generateAgentIdentity('x'.repeat(65))).toThrow(TypeError);
  });
});

describe('public keys', () => {
  const raw = Buffer.from(agent.signingPublicKey);

  it('encode as base64url and decode from base64 or base64url, padded or not', () => {
    const url = encodeRawKey(raw);
    expect(url).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const text of [
      url,
      `${url}=`,
      raw.toString('base64'),
      raw.toString('base64').replace('=', ''),
    ]) {
      expect(decodeRawKey(text)).toEqual(raw);
    }
    expect(() => decodeRawKey(Buffer.alloc(31).toString('base64url'))).toThrow(TypeError);
    expect(() => decodeRawKey('not a key')).toThrow(TypeError);
  });

  it('import from raw, base64, PEM or JWK to the same key', () => {
    const keyObject = createPublicKey(agent.signingKey);
    const inputs = [
      raw,
      encodeRawKey(raw),
      keyObject.export({ format: 'pem', type: 'spki' }).toString(),
      keyObject.export({ format: 'jwk' }),
      keyObject,
      createPrivateKey(exportAgentIdentity(agent).signingKey),
    ];
    for (const input of inputs)
      expect(rawPublicKey(importPublicKey('ed25519', input))).toEqual(raw);
  });

  it('have a SHA-256 fingerprint of their raw bytes', () => {
    expect(keyFingerprint(raw)).toHaveLength(32);
    expect(keyFingerprint(raw).equals(keyFingerprint(agent.publicKey))).toBe(false);
  });
});
