import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  auditBodyBytes,
  auditEntryBytes,
  chainAuditEntry,
  createOpenStream,
  decodePrivateBlock,
  encodePrivateBlock,
  importPrivateKey,
  openKeyEnvelope,
  rawPublicKey,
  readKeyEnvelopeHeader,
  sealKeyEnvelope,
  segmentAad,
  segmentNonce,
  signAuditBody,
  sourceBinding,
  verifyAuditChain,
  type ChainedAuditEntry,
  type PrivateBlock,
} from '../src/index.js';
import {
  expectReason,
  hex,
  openBytes,
  recordPushes,
  runThrough,
  sealBytes,
  unhex,
} from './helpers.js';

/** The vectors live in the format document; reading them from there keeps the two in step. */
const FORMAT_DOC = new URL('../../../docs/sealed-format.md', import.meta.url);

function vectors(): Map<string, Record<string, unknown>> {
  const text = readFileSync(FORMAT_DOC, 'utf8');
  const found = new Map<string, Record<string, unknown>>();
  for (const [, body] of text.matchAll(/^```json\n([\s\S]*?)^```$/gm)) {
    const vector = JSON.parse(body!) as Record<string, unknown>;
    if (typeof vector.id === 'string') found.set(vector.id, vector);
  }
  return found;
}

const all = vectors();
function vector<T>(id: string): T {
  const found = all.get(id);
  if (!found) throw new Error(`docs/sealed-format.md has no test vector ${id}`);
  return found as T;
}

interface SegmentsVector {
  contentKey: string;
  sourceUuid: string;
  segmentSize: number;
  plaintext: string;
  plaintextSha256: string;
  segments: { index: number; nonce: string; aad: string; sealed: string }[];
  publicBlock: string;
  publicBlockSha256: string;
}

interface PrivateBlockVector extends Omit<PrivateBlock, 'contentKey' | 'plaintextSha256'> {
  contentKey: string;
  plaintextSha256: string;
  encoded: string;
}

interface EnvelopeVector {
  signer: { id: string; ed25519PrivateKey: string; ed25519PublicKey: string };
  recipient: { id: string; x25519PrivateKey: string; x25519PublicKey: string };
  ephemeralX25519PrivateKey: string;
  ephemeralX25519PublicKey: string;
  createdAt: number;
  notBefore: number;
  notAfter: number;
  headerLength: number;
  payloadLength: number;
  envelope: string;
  envelopeSha256: string;
}

interface AuditLogVector {
  signer: { id: string; ed25519PrivateKey: string; ed25519PublicKey: string };
  entries: ChainedAuditEntry[];
  bodyBytes: string;
  entryBytes: string[];
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const at = (seconds: number) => new Date(seconds * 1000);

function privateBlockOfVector(v: PrivateBlockVector): PrivateBlock {
  const { encoded: _encoded, id: _id, ...fields } = v as PrivateBlockVector & { id: string };
  return { ...fields, contentKey: unhex(v.contentKey), plaintextSha256: unhex(v.plaintextSha256) };
}

describe('test vectors in docs/sealed-format.md', () => {
  it('are all present', () => {
    expect([...all.keys()].sort()).toEqual(
      [
        'grant-statement-v1',
        'audit-log-v1',
        'key-envelope-v1',
        'private-block-v1',
        'segments-v1',
        'source-binding-v1',
      ].sort(),
    );
  });

  it('source-binding-v1', () => {
    const { cases } = vector<{ cases: { sourceUuid: string; binding: string }[] }>(
      'source-binding-v1',
    );
    for (const { sourceUuid, binding } of cases)
      expect(hex(sourceBinding(sourceUuid))).toBe(binding);
  });

  it('segments-v1: seals to the listed segments and opens back', async () => {
    const v = vector<SegmentsVector>('segments-v1');
    const options = {
      contentKey: unhex(v.contentKey),
      sourceUuid: v.sourceUuid,
      segmentSize: v.segmentSize,
    };
    const plaintext = Buffer.from(v.plaintext, 'utf8');
    const { sealed, pushed, result } = await sealBytes(plaintext, options);

    expect(hex(sealed)).toBe(v.publicBlock);
    expect(sha256(sealed)).toBe(v.publicBlockSha256);
    expect(hex(result.plaintextSha256)).toBe(v.plaintextSha256);
    // Each segment is pushed as its ciphertext, then its tag.
    const pairs = v.segments.map((_, i) => Buffer.concat(pushed.slice(2 * i, 2 * i + 2)));
    expect(pushed).toHaveLength(2 * v.segments.length);
    expect(pairs.map(hex)).toEqual(v.segments.map((segment) => segment.sealed));
    for (const segment of v.segments) {
      expect(hex(segmentNonce(segment.index))).toBe(segment.nonce);
      expect(hex(segmentAad(sourceBinding(v.sourceUuid), segment.index, v.segments.length))).toBe(
        segment.aad,
      );
    }

    const opened = await openBytes(unhex(v.publicBlock), {
      ...options,
      plaintextSize: plaintext.length,
      plaintextSha256: unhex(v.plaintextSha256),
    });
    expect(opened.toString('utf8')).toBe(v.plaintext);
  });

  it('segments-v1: opens segment by segment, only what verified', async () => {
    const v = vector<SegmentsVector>('segments-v1');
    const stream = createOpenStream({
      contentKey: unhex(v.contentKey),
      sourceUuid: v.sourceUuid,
      segmentSize: v.segmentSize,
      plaintextSize: Buffer.byteLength(v.plaintext),
    });
    const pushed = recordPushes(stream);
    const lastSegmentAltered = unhex(v.publicBlock);
    lastSegmentAltered[lastSegmentAltered.length - 1]! ^= 1;
    const { error } = await runThrough(lastSegmentAltered, stream, 1);
    expect(error).toMatchObject({ reason: 'tampered' });
    expect(Buffer.concat(pushed).toString('utf8')).toBe(v.plaintext.slice(0, 2 * v.segmentSize));
  });

  it('private-block-v1: encodes to the listed bytes and decodes back', () => {
    const v = vector<PrivateBlockVector>('private-block-v1');
    const block = privateBlockOfVector(v);
    expect(hex(encodePrivateBlock(block))).toBe(v.encoded);
    expect(decodePrivateBlock(unhex(v.encoded))).toEqual(block);
  });

  it('key-envelope-v1: seals to the listed bytes and opens for the recipient in its window', async () => {
    const v = vector<EnvelopeVector>('key-envelope-v1');
    const block = privateBlockOfVector(vector<PrivateBlockVector>('private-block-v1'));
    // Each party gets only the key it holds: the releaser signs, the licensee decrypts.
    const signingKey = importPrivateKey('ed25519', unhex(v.signer.ed25519PrivateKey));
    const signer = { id: v.signer.id, signingKey, signingPublicKey: rawPublicKey(signingKey) };
    const encryptionKey = importPrivateKey('x25519', unhex(v.recipient.x25519PrivateKey));
    const recipient = { id: v.recipient.id, encryptionKey, publicKey: rawPublicKey(encryptionKey) };
    expect(hex(signer.signingPublicKey)).toBe(v.signer.ed25519PublicKey);
    expect(hex(recipient.publicKey)).toBe(v.recipient.x25519PublicKey);

    const envelope = await sealKeyEnvelope({
      privateBlock: block,
      signer,
      recipient: { id: v.recipient.id, publicKey: unhex(v.recipient.x25519PublicKey) },
      createdAt: at(v.createdAt),
      notBefore: at(v.notBefore),
      notAfter: at(v.notAfter),
      ephemeralPrivateKey: unhex(v.ephemeralX25519PrivateKey),
    });
    expect(hex(envelope)).toBe(v.envelope);
    expect(sha256(envelope)).toBe(v.envelopeSha256);

    const header = readKeyEnvelopeHeader(envelope);
    expect(hex(header.encapsulatedKey)).toBe(v.ephemeralX25519PublicKey);
    expect(envelope.readUInt32BE(v.headerLength)).toBe(v.payloadLength);
    expect(envelope.length).toBe(v.headerLength + 4 + v.payloadLength + 64);

    const expected = { signingPublicKey: unhex(v.signer.ed25519PublicKey), id: v.signer.id };
    const opened = await openKeyEnvelope(unhex(v.envelope), {
      recipient,
      signer: expected,
      now: at(v.notAfter),
      sourceUuid: block.sourceUuid,
    });
    expect(opened.privateBlock).toEqual(block);
    await expectReason(
      openKeyEnvelope(unhex(v.envelope), { recipient, signer: expected, now: at(v.notAfter + 1) }),
      'outside-window',
    );
  });

  it('audit-log-v1: signs and chains to the listed entries, and verifies', () => {
    const v = vector<AuditLogVector>('audit-log-v1');
    const signingKey = importPrivateKey('ed25519', unhex(v.signer.ed25519PrivateKey));
    const signer = { id: v.signer.id, signingKey, signingPublicKey: rawPublicKey(signingKey) };
    expect(hex(signer.signingPublicKey)).toBe(v.signer.ed25519PublicKey);
    const [grant, release] = v.entries as [ChainedAuditEntry, ChainedAuditEntry];

    expect(auditBodyBytes(release).toString('utf8')).toBe(v.bodyBytes);
    // Ed25519 is deterministic, so the signature is a vector too.
    const signature = signAuditBody(release, signer);
    expect(signature).toEqual(release.signature);

    const first = chainAuditEntry(grant);
    const second = chainAuditEntry(release, { previous: first, signature });
    expect([first, second]).toEqual(v.entries);
    expect([first, second].map((e) => auditEntryBytes(e).toString('utf8'))).toEqual(v.entryBytes);
    expect(v.entryBytes.map((bytes) => sha256(Buffer.from(bytes, 'utf8')))).toEqual(
      v.entries.map((e) => e.hash),
    );
    expect(verifyAuditChain(v.entries)).toMatchObject({
      ok: true,
      head: { seq: 2, hash: release.hash },
    });
  });
});
