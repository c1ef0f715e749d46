import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  openWithPassphrase,
  PassphraseBoxError,
  sealWithPassphrase,
  type PassphraseBox,
} from '../src/index.js';

// Cheap key stretching keeps the suite fast; the default cost is checked once below.
const cheap = { N: 2 ** 10, r: 8, p: 1 };
const passphrase = 'correct horse battery staple';
const secret = randomBytes(200);

describe('passphrase box', () => {
  it('opens with the passphrase it was sealed with, and shows no plaintext', () => {
    const box = sealWithPassphrase(secret, passphrase, cheap);
    expect(openWithPassphrase(box, passphrase).equals(secret)).toBe(true);
    expect(JSON.stringify(box)).not.toContain(secret.toString('base64'));
  });

  it('uses a fresh salt and iv every time', () => {
    const [a, b] = [
      sealWithPassphrase(secret, passphrase, cheap),
      sealWithPassphrase(secret, passphrase, cheap),
    ];
    expect(a.kdf.salt).not.toBe(b.kdf.salt);
    expect(a.iv).not.toBe(b.iv);
    expect(a.sealed).not.toBe(b.sealed);
  });

  it('stretches with scrypt N=2^17, r=8 by default', () => {
    const box = sealWithPassphrase(secret, passphrase);
    expect(box.kdf).toMatchObject({ name: 'scrypt', N: 131072, r: 8, p: 1 });
    expect(openWithPassphrase(box, passphrase).equals(secret)).toBe(true);
  });

  it('refuses a short passphrase', () => {
    expect(() => sealWithPassphrase(secret, 'short', cheap)).toThrow(/at least 12 characters/);
  });

  const box = sealWithPassphrase(secret, passphrase, cheap);
  const flip = (b64: string) => {
    const bytes = Buffer.from(b64, 'base64');
    bytes[0] = bytes[0]! ^ 1;
    return bytes.toString('base64');
  };
  it.each<[string, unknown, string?]>([
    ['another passphrase', box, 'correct horse battery stapler'],
    ['an altered ciphertext', { ...box, sealed: flip(box.sealed) }],
    ['an altered salt', { ...box, kdf: { ...box.kdf, salt: flip(box.kdf.salt) } }],
    ['a lowered cost', { ...box, kdf: { ...box.kdf, N: 2 ** 9 } }],
    ['an altered iv', { ...box, iv: flip(box.iv) }],
    ['a cost beyond what is accepted', { ...box, kdf: { ...box.kdf, N: 2 ** 24 } }],
    ['another format', { ...box, format: 'something/else' }],
    ['not a box at all', 'hello'],
    ['no sealed bytes', { ...box, sealed: '' } satisfies PassphraseBox],
  ])('refuses %s', (_what, value, tried = passphrase) => {
    expect(() => openWithPassphrase(value, tried)).toThrow(PassphraseBoxError);
  });
});
