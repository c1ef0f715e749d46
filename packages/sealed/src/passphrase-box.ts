import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

/**
 * Bytes sealed with a passphrase, for keys that must survive the disk they live on (an agent's
 * identity). scrypt (Node's, from OpenSSL) stretches the passphrase into an AES-256-GCM key; the
 * box's own header is the additional data, so neither the parameters nor the format can be
 * changed without the open failing.
 */
export interface PassphraseBox {
  readonly format: typeof FORMAT;
  readonly kdf: {
    readonly name: 'scrypt';
    readonly N: number;
    readonly r: number;
    readonly p: number;
    /** base64 */
    readonly salt: string;
  };
  readonly cipher: 'aes-256-gcm';
  /** base64 */
  readonly iv: string;
  /** base64 of ciphertext then the 16-byte tag. */
  readonly sealed: string;
}

const FORMAT = 'media-vault/passphrase-box/1' as const;
/** 2^17 × 8 × 128 bytes: 128 MiB and about half a second per try on one core. */
const DEFAULT_COST = { N: 2 ** 17, r: 8, p: 1 } as const;
/** A box asking for more work than this is refused rather than left to exhaust the machine. */
const MAX_N = 2 ** 20;
export const MIN_PASSPHRASE_LENGTH = 12;

/** A box that is malformed, was altered, or was sealed with another passphrase. */
export class PassphraseBoxError extends Error {
  override readonly name = 'PassphraseBoxError';
}

const header = (box: Omit<PassphraseBox, 'iv' | 'sealed'>): Buffer =>
  Buffer.from(JSON.stringify([box.format, box.kdf, box.cipher]));

function deriveKey(passphrase: string, kdf: PassphraseBox['kdf']): Buffer {
  return scryptSync(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r + 1024 * 1024,
  });
}

export function sealWithPassphrase(
  plaintext: Uint8Array,
  passphrase: string,
  cost: { readonly N: number; readonly r: number; readonly p: number } = DEFAULT_COST,
): PassphraseBox {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new RangeError(`a passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters`);
  }
  const kdf = { name: 'scrypt' as const, ...cost, salt: randomBytes(16).toString('base64') };
  const head = { format: FORMAT, kdf, cipher: 'aes-256-gcm' as const };
  const iv = randomBytes(12);
  const key = deriveKey(passphrase, kdf);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(header(head));
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { ...head, iv: iv.toString('base64'), sealed: sealed.toString('base64') };
  } finally {
    key.fill(0);
  }
}

const isBox = (value: unknown): value is PassphraseBox => {
  const box = value as PassphraseBox;
  return (
    typeof box === 'object' &&
    box !== null &&
    box.format === FORMAT &&
    box.cipher === 'aes-256-gcm' &&
    box.kdf?.name === 'scrypt' &&
    [box.kdf.N, box.kdf.r, box.kdf.p].every((n) => Number.isSafeInteger(n) && n > 0) &&
    typeof box.kdf.salt === 'string' &&
    typeof box.iv === 'string' &&
    typeof box.sealed === 'string'
  );
};

/** The plaintext, or PassphraseBoxError for a malformed or altered box or another passphrase. */
export function openWithPassphrase(value: unknown, passphrase: string): Buffer {
  if (!isBox(value)) throw new PassphraseBoxError('not a media vault passphrase box');
  const { kdf } = value;
  if (kdf.N > MAX_N || (kdf.N & (kdf.N - 1)) !== 0 || kdf.r > 32 || kdf.p > 16) {
    throw new PassphraseBoxError('the box asks for key stretching beyond what is accepted');
  }
  const sealed = Buffer.from(value.sealed, 'base64');
  if (sealed.length < 16) throw new PassphraseBoxError('the box holds no sealed bytes');
  const key = deriveKey(passphrase, kdf);
  let plaintext: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(value.iv, 'base64'))
      .setAAD(header(value))
      .setAuthTag(sealed.subarray(sealed.length - 16));
    plaintext = decipher.update(sealed.subarray(0, sealed.length - 16));
    // GCM emits everything from update(); final() only checks the tag.
    decipher.final();
    return plaintext;
  } catch (err) {
    // Bytes that failed authentication, decrypted with a key guessed from a passphrase: wiped.
    plaintext?.fill(0);
    throw new PassphraseBoxError('wrong passphrase, or the box was altered', { cause: err });
  } finally {
    key.fill(0);
  }
}
