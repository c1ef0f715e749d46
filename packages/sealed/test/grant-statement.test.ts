import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  exportOwnerKey,
  fingerprintHex,
  generateOwnerKey,
  grantCanonicalBytes,
  grantSignatureProblem,
  grantWindowProblem,
  importPrivateKey,
  loadOwnerKey,
  ownerKeyOf,
  revocationCanonicalBytes,
  revocationSignatureProblem,
  signGrant,
  signRevocation,
  type GrantStatement,
  type RevocationStatement,
} from '../src/index.js';

interface GrantVector {
  ownerEd25519PrivateKey: string;
  ownerEd25519PublicKey: string;
  sealerEd25519PublicKey: string;
  recipientX25519PublicKey: string;
  recipientEd25519PublicKey: string;
  statement: GrantStatement;
  canonical: string;
  signature: string;
  revocation: { statement: RevocationStatement; canonical: string; signature: string };
}

/** Read from the format document, like the other vectors, so the two cannot drift apart. */
function grantVector(): GrantVector {
  const text = readFileSync(new URL('../../../docs/sealed-format.md', import.meta.url), 'utf8');
  for (const [, body] of text.matchAll(/^```json\n([\s\S]*?)^```$/gm)) {
    const parsed = JSON.parse(body!) as { id?: string };
    if (parsed.id === 'grant-statement-v1') return parsed as unknown as GrantVector;
  }
  throw new Error('docs/sealed-format.md has no grant-statement-v1 vector');
}

const v = grantVector();
const hex = (s: string) => Buffer.from(s, 'hex');
const owner = ownerKeyOf(importPrivateKey('ed25519', hex(v.ownerEd25519PrivateKey)));

describe('grant statements (docs/sealed-format.md vectors)', () => {
  it('canonical bytes, fingerprints and the signature are exactly the vector', () => {
    expect(Buffer.from(owner.publicKey).toString('hex')).toBe(v.ownerEd25519PublicKey);
    expect(fingerprintHex(hex(v.sealerEd25519PublicKey))).toBe(v.statement.sealer_signing_key);
    expect(fingerprintHex(hex(v.recipientX25519PublicKey))).toBe(v.statement.recipient_public_key);
    expect(fingerprintHex(hex(v.recipientEd25519PublicKey))).toBe(
      v.statement.recipient_signing_key,
    );
    expect(grantCanonicalBytes(v.statement).toString('utf8')).toBe(v.canonical);
    const signed = signGrant(v.statement, owner);
    expect(signed.signature).toBe(v.signature);
    expect(grantSignatureProblem(signed, owner.publicKey)).toBeUndefined();
  });

  it('a revocation signs and verifies as the vector says', () => {
    expect(revocationCanonicalBytes(v.revocation.statement).toString('utf8')).toBe(
      v.revocation.canonical,
    );
    const signed = signRevocation(v.revocation.statement, owner);
    expect(signed.signature).toBe(v.revocation.signature);
    expect(revocationSignatureProblem(signed, owner.publicKey)).toBeUndefined();
  });
});

describe('grant verification refuses', () => {
  const signed = signGrant(v.statement, owner);

  it('any changed field: the recipient key, the window, the sealer', () => {
    const changes: Partial<GrantStatement>[] = [
      { recipient_public_key: fingerprintHex(generateOwnerKey().publicKey) },
      { not_after: '2027-01-31T23:59:59.000Z' },
      { not_before: null },
      { sealer: 'root-agent' },
      { recipient: '0' },
    ];
    for (const change of changes) {
      const widened = { ...signed, statement: { ...signed.statement, ...change } };
      expect(grantSignatureProblem(widened, owner.publicKey)).toBe(
        "the signature is not the owner's",
      );
    }
  });

  it('a statement signed by another key, such as one root made for itself', () => {
    const root = generateOwnerKey();
    const forged = signGrant(v.statement, root);
    expect(grantSignatureProblem(forged, root.publicKey)).toBeUndefined();
    expect(grantSignatureProblem(forged, owner.publicKey)).toBe("the signature is not the owner's");
  });

  it('malformed statements and signatures, with the reason', () => {
    const newline = { ...signed, statement: { ...signed.statement, owner: '42\nsealer: x' } };
    expect(grantSignatureProblem(newline, owner.publicKey)).toMatch(/malformed \(owner: /);
    const sloppyTime = {
      ...signed,
      statement: { ...signed.statement, not_after: '2026-01-31T23:59:59Z' },
    };
    expect(grantSignatureProblem(sloppyTime, owner.publicKey)).toMatch(/not_after: .* ms/);
    const backwards = {
      ...signed,
      statement: { ...signed.statement, not_after: '2025-01-01T00:00:00.000Z' },
    };
    expect(grantSignatureProblem(backwards, owner.publicKey)).toMatch(/later than not_before/);
    expect(grantSignatureProblem({ ...signed, signature: 'AAAA' }, owner.publicKey)).toMatch(
      /not 64 bytes/,
    );
  });

  it('outside its window', () => {
    expect(grantWindowProblem(v.statement, new Date('2025-12-31T23:59:59Z'))).toMatch(
      /valid from 2026-01-01/,
    );
    expect(grantWindowProblem(v.statement, new Date('2026-01-15T00:00:00Z'))).toBeUndefined();
    expect(grantWindowProblem(v.statement, new Date('2026-01-31T23:59:59Z'))).toMatch(/expired/);
  });
});

describe('owner key file', () => {
  it('round-trips, and refuses a file whose public key is not its own', () => {
    const key = generateOwnerKey();
    const text = exportOwnerKey(key);
    expect(Buffer.from(loadOwnerKey(text).publicKey)).toEqual(Buffer.from(key.publicKey));
    const swapped = JSON.parse(text) as Record<string, string>;
    swapped.public_key = Buffer.from(owner.publicKey).toString('base64url');
    expect(() => loadOwnerKey(JSON.stringify(swapped))).toThrow(/not its own/);
    expect(() => loadOwnerKey('{}')).toThrow(/owner key/);
    expect(() => loadOwnerKey('nope')).toThrow(/not JSON/);
  });
});
