import { AgentAuditKinds } from '@media-vault/contracts';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_GENESIS_HASH,
  canonicalJson,
  chainAuditEntry,
  encodeRawKey,
  importPrivateKey,
  rawPublicKey,
  sameRawKey,
  signAuditBody,
  SIGNED_AUDIT_KINDS,
  verifyAuditChain,
  verifyAuditSignature,
  type AuditBody,
  type AuditSigner,
  type ChainedAuditEntry,
} from '../src/index.js';

/** Fixed keys from raw bytes (RFC 8032 §7.1 tests 1 and 2), so every run signs the same. */
const signerOf = (id: string, seedHex: string): AuditSigner => {
  const signingKey = importPrivateKey('ed25519', Buffer.from(seedHex, 'hex'));
  return { id, signingKey, signingPublicKey: rawPublicKey(signingKey) };
};
const studio = signerOf(
  'studio-agent',
  '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
);
const licensee = signerOf(
  'licensee-agent',
  '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
);

const body = (
  seq: number,
  kind: string,
  actor: { user_id: string; agent?: string },
  data: Record<string, unknown> = {},
): AuditBody => ({
  entry_id: `entry-${seq}`,
  source_id: 4,
  source_uuid: '283509238',
  kind,
  at: `2026-01-01T00:00:0${seq}.000Z`,
  actor,
  data,
});

/** grant (platform) → release (studio's agent) → fetch → compose (licensee's agent). */
function chain(): ChainedAuditEntry[] {
  const bodies: [AuditBody, AuditSigner | undefined][] = [
    [body(1, 'grant', { user_id: 'studio' }, { user_id: 'licensee', status: 'active' }), undefined],
    [
      body(2, 'release', { user_id: 'studio', agent: studio.id }, { envelope_cid: 'bafy1' }),
      studio,
    ],
    [
      body(3, 'fetch', { user_id: 'licensee', agent: licensee.id }, { sealer: studio.id }),
      licensee,
    ],
    [body(4, 'compose', { user_id: 'licensee', agent: licensee.id }, { ok: true }), licensee],
  ];
  const entries: ChainedAuditEntry[] = [];
  for (const [b, signer] of bodies) {
    entries.push(
      chainAuditEntry(b, {
        previous: entries.at(-1),
        signature: signer && signAuditBody(b, signer),
      }),
    );
  }
  return entries;
}

const copy = (entries: ChainedAuditEntry[]) =>
  JSON.parse(JSON.stringify(entries)) as ChainedAuditEntry[];

describe('canonical JSON', () => {
  it('sorts members at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null, 'x'], c: -0.5 } })).toBe(
      '{"a":{"c":-0.5,"d":[true,null,"x"]},"b":1}',
    );
  });

  it('sorts by UTF-16 code units, as RFC 8785 does, and keeps non-ASCII as UTF-8 text', () => {
    // U+FB01 sorts after U+1F600 in UTF-16 (0xFB01 > 0xD83D), before it by code point.
    expect(canonicalJson({ ﬁ: 1, '😀': 2, z: 3, 仙: 4 })).toBe('{"z":3,"仙":4,"😀":2,"ﬁ":1}');
  });

  it('writes numbers as ECMAScript does and leaves out absent members', () => {
    expect(canonicalJson({ n: 1e21, m: 0.1, k: -0, gone: undefined })).toBe(
      '{"k":0,"m":0.1,"n":1e+21}',
    );
  });

  it('refuses what JSON cannot hold', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ n: Infinity })).toThrow(TypeError);
    expect(() => canonicalJson([undefined])).toThrow(TypeError);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(TypeError);
    expect(() => canonicalJson({ b: 1n })).toThrow(TypeError);
  });

  it('is the same after a JSON round trip in any member order', () => {
    const value = { z: [1, { y: 'ü', x: null }], a: false };
    const reordered = JSON.parse('{"a":false,"z":[1,{"x":null,"y":"ü"}]}') as unknown;
    expect(canonicalJson(reordered)).toBe(canonicalJson(value));
  });
});

describe('signatures', () => {
  it('verify over the body with the key they carry, and over nothing else', () => {
    const b = body(2, 'release', { user_id: 'studio', agent: studio.id }, { cid: 'bafy1' });
    const signature = signAuditBody(b, studio);
    expect(signature.signing_key).toBe(encodeRawKey(studio.signingPublicKey));
    expect(verifyAuditSignature(b, signature)).toBe(true);
    // The signature does not depend on member order or on fields outside the body.
    const reordered = { ...JSON.parse(JSON.stringify(b)), seq: 9, hash: 'x' } as AuditBody;
    expect(verifyAuditSignature(reordered, signature)).toBe(true);
    expect(verifyAuditSignature({ ...b, data: { cid: 'bafy2' } }, signature)).toBe(false);
    expect(verifyAuditSignature({ ...b, source_id: 5 }, signature)).toBe(false);
    const otherKey = encodeRawKey(licensee.signingPublicKey);
    expect(verifyAuditSignature(b, { ...signature, signing_key: otherKey })).toBe(false);
    expect(verifyAuditSignature(b, { ...signature, value: 'not-a-signature' })).toBe(false);
    expect(verifyAuditSignature(b, { ...signature, signing_key: 'short' })).toBe(false);
  });

  it('compares raw keys across base64 and base64url', () => {
    const raw = Buffer.from(studio.signingPublicKey);
    expect(sameRawKey(raw.toString('base64'), raw.toString('base64url'))).toBe(true);
    expect(sameRawKey(raw.toString('base64'), encodeRawKey(licensee.signingPublicKey))).toBe(false);
    expect(sameRawKey('garbage', raw.toString('base64'))).toBe(false);
  });

  it('are required of exactly the kinds agents append', () => {
    expect([...SIGNED_AUDIT_KINDS].sort()).toEqual([...AgentAuditKinds].sort());
  });
});

describe('verifyAuditChain', () => {
  it('accepts an intact chain and names its head', () => {
    const entries = chain();
    expect(entries[0]!.prev_hash).toBe(AUDIT_GENESIS_HASH);
    const report = verifyAuditChain(entries);
    expect(report.ok).toBe(true);
    expect(report.firstBroken).toBeUndefined();
    expect(report.entries.map((e) => [e.seq, e.ok])).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, true],
    ]);
    expect(report.head).toEqual({ seq: 4, hash: entries[3]!.hash });
    expect(verifyAuditChain([]).ok).toBe(true);
  });

  it("reports an edited entry's data at that entry, and only there", () => {
    const entries = copy(chain());
    (entries[0]!.data as Record<string, unknown>).user_id = 'someone-else';
    const report = verifyAuditChain(entries);
    expect(report.firstBroken).toMatchObject({ index: 0, seq: 1, reason: 'edited-entry' });
    expect(report.entries.map((e) => e.ok)).toEqual([false, true, true, true]);
  });

  it("reports an edited agent's entry as edited and badly signed", () => {
    const entries = copy(chain());
    (entries[2] as { at: string }).at = '2026-01-01T09:00:00.000Z';
    const report = verifyAuditChain(entries);
    expect(report.firstBroken).toMatchObject({ seq: 3, reason: 'edited-entry' });
    expect(report.entries[2]!.problems.map((p) => p.reason)).toEqual([
      'edited-entry',
      'bad-signature',
    ]);
  });

  it('reports an edited entry whose hash was recomputed at the next link', () => {
    const entries = copy(chain());
    const edited = chainAuditEntry(
      { ...entries[0]!, data: { user_id: 'someone-else', status: 'active' } },
      { previous: undefined },
    );
    entries[0] = edited;
    const report = verifyAuditChain(entries);
    expect(report.entries[0]!.ok).toBe(true);
    expect(report.firstBroken).toMatchObject({ index: 1, seq: 2, reason: 'broken-link' });
  });

  it('reports a deleted entry at the one after it', () => {
    const entries = chain();
    const report = verifyAuditChain([entries[0], entries[2], entries[3]]);
    expect(report.firstBroken).toMatchObject({ index: 1, seq: 3, reason: 'missing-entry' });
    expect(report.firstBroken?.message).toBe('entry 2 is missing before it');
    expect(report.entries.map((e) => e.ok)).toEqual([true, false, true]);
    expect(verifyAuditChain(entries.slice(2)).firstBroken).toMatchObject({
      seq: 3,
      reason: 'missing-entry',
      message: 'entry 1 to 2 is missing before it',
    });
  });

  it('reports entries out of order or repeated', () => {
    const entries = chain();
    expect(verifyAuditChain([entries[0], entries[0]]).firstBroken).toMatchObject({
      index: 1,
      reason: 'out-of-order',
    });
    expect(verifyAuditChain([entries[1], entries[0]]).firstBroken).toMatchObject({
      index: 0,
      reason: 'missing-entry',
    });
  });

  it('reports a forged signature, a stripped one, and an actor that is not the signer', () => {
    const entries = chain();
    const forged = signerOf('studio-agent', '11'.repeat(32));
    const release = entries[1]!;
    const reforged = chainAuditEntry(release, {
      previous: entries[0],
      signature: { ...signAuditBody(release, forged), signing_key: release.signature!.signing_key },
    });
    expect(verifyAuditChain([entries[0], reforged]).firstBroken).toMatchObject({
      seq: 2,
      reason: 'bad-signature',
    });

    const stripped = chainAuditEntry(release, { previous: entries[0] });
    expect(verifyAuditChain([entries[0], stripped]).firstBroken).toMatchObject({
      seq: 2,
      reason: 'unsigned',
    });

    const posing = { ...release, actor: { user_id: 'studio', agent: 'someone-else' } };
    const misattributed = chainAuditEntry(posing, {
      previous: entries[0],
      signature: signAuditBody(posing, studio),
    });
    expect(verifyAuditChain([entries[0], misattributed]).firstBroken).toMatchObject({
      seq: 2,
      reason: 'bad-signature',
      message: 'signed by agent studio-agent, but the actor is someone-else',
    });
  });

  it('refuses a self-consistent signature by a key the verifier does not trust for that agent', () => {
    const entries = chain();
    const impostor = signerOf('studio-agent', '22'.repeat(32));
    const release = entries[1]!;
    const resigned = chainAuditEntry(release, {
      previous: entries[0],
      signature: signAuditBody(release, impostor),
    });
    const rewritten = [entries[0], resigned];
    // On its own the rewritten chain holds together: the key is inside the entry.
    expect(verifyAuditChain(rewritten).ok).toBe(true);
    const trustedKeys = { 'studio-agent': encodeRawKey(studio.signingPublicKey) };
    expect(verifyAuditChain(rewritten, { trustedKeys }).firstBroken).toMatchObject({
      seq: 2,
      reason: 'untrusted-key',
    });
    expect(verifyAuditChain(entries, { trustedKeys }).ok).toBe(true);
  });

  it('finds a head recorded earlier, and reports it cut off or rewritten', () => {
    const entries = chain();
    const head = { seq: 4, hash: entries[3]!.hash };
    expect(verifyAuditChain(entries, { head }).ok).toBe(true);
    // Dropping the last entries leaves a chain that holds together, but not the head.
    expect(verifyAuditChain(entries.slice(0, 3)).ok).toBe(true);
    expect(verifyAuditChain(entries.slice(0, 3), { head }).firstBroken).toMatchObject({
      seq: 4,
      reason: 'missing-head',
    });
    const rewritten = chainAuditEntry(
      { ...entries[3]!, data: { ok: false } },
      {
        previous: entries[2],
        signature: signAuditBody({ ...entries[3]!, data: { ok: false } }, licensee),
      },
    );
    expect(
      verifyAuditChain([...entries.slice(0, 3), rewritten], { head }).firstBroken,
    ).toMatchObject({ seq: 4, reason: 'missing-head', index: 3 });
  });

  it('reports malformed entries and entries of another source', () => {
    const entries = copy(chain());
    const report = verifyAuditChain([entries[0], { ...entries[1], hash: 'nope' }, 'text']);
    expect(report.entries.map((e) => e.problems[0]?.reason)).toEqual([
      undefined,
      'malformed',
      'malformed',
    ]);
    expect(report.firstBroken).toMatchObject({ index: 1, seq: 2, reason: 'malformed' });
    const foreign = chainAuditEntry({ ...entries[1]!, source_id: 5 }, { previous: entries[0] });
    expect(verifyAuditChain([entries[0], foreign]).firstBroken).toMatchObject({
      reason: 'wrong-source',
    });
    // A whole log of another source than the one asked for.
    expect(verifyAuditChain(entries, { sourceId: 5 }).firstBroken).toMatchObject({
      seq: 1,
      reason: 'wrong-source',
      message: 'entry of source 4 in the log of source 5',
    });
  });
});
