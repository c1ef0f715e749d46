import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateAgentIdentity,
  generateContentKey,
  keyFingerprint,
  openKeyEnvelope,
  openVaultCopy,
  readKeyEnvelopeHeader,
  sealKeyEnvelope,
  sealVaultCopy,
  sourceBinding,
  type AgentIdentity,
  type PrivateBlock,
} from '../src/index.js';
import { bytesOf, expectReason } from './helpers.js';

const studio = generateAgentIdentity('studio-agent');
const licensee = generateAgentIdentity('licensee-1');
const intruder = generateAgentIdentity('intruder-1');

const privateBlock: PrivateBlock = {
  sourceUuid: '9b2e7c1a-0f4d-4b8e-a6c3-5d1e2f3a4b5c',
  contentKey: generateContentKey(),
  segmentSize: 4 * 1024 * 1024,
  segmentCount: 3,
  plaintextSize: 9 * 1024 * 1024,
  plaintextSha256: bytesOf(32),
  media: { format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2' } },
  publicBlockCid: 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi',
};

const createdAt = new Date('2026-03-01T00:00:00Z');
const notBefore = new Date('2026-03-02T00:00:00Z');
const notAfter = new Date('2026-03-09T00:00:00Z');
const inWindow = new Date('2026-03-05T12:00:00Z');

/** Header offsets from docs/sealed-format.md, for the forgery cases. */
const CREATED_AT = 22;
const RECIPIENT_FINGERPRINT = 78;
const RECIPIENT_ID = 144 + studio.id.length;
const SIGNATURE_LENGTH = 64;

const release = (overrides: { signer?: AgentIdentity } = {}) =>
  sealKeyEnvelope({
    privateBlock,
    signer: overrides.signer ?? studio,
    recipient: { id: licensee.id, publicKey: licensee.publicKey },
    notBefore,
    notAfter,
    createdAt,
  });

const openAs = (
  envelope: Uint8Array,
  recipient: AgentIdentity,
  extra: { now?: Date; sourceUuid?: string; signer?: AgentIdentity } = {},
) =>
  openKeyEnvelope(envelope, {
    recipient,
    signer: extra.signer ?? studio,
    now: extra.now ?? inWindow,
    ...(extra.sourceUuid ? { sourceUuid: extra.sourceUuid } : {}),
  });

/** What a releasing agent that turned hostile could do: rewrite the header and sign again. */
function resign(envelope: Buffer, edit: (unsigned: Buffer) => void): Buffer {
  const unsigned = Buffer.from(envelope.subarray(0, envelope.length - SIGNATURE_LENGTH));
  edit(unsigned);
  return Buffer.concat([unsigned, sign(null, unsigned, studio.signingKey)]);
}

describe('key envelope', () => {
  it('opens for the addressed agent inside its window, with the same private block', async () => {
    const opened = await openAs(await release(), licensee, { sourceUuid: privateBlock.sourceUuid });
    expect(opened.privateBlock).toEqual(privateBlock);
    expect(opened.header).toMatchObject({
      version: 1,
      signerId: studio.id,
      recipientId: licensee.id,
      createdAt,
      notBefore,
      notAfter,
    });
    expect(opened.header.sourceBinding).toEqual(sourceBinding(privateBlock.sourceUuid));
  });

  it('opens on the first and the last second of the window', async () => {
    const envelope = await release();
    await expect(openAs(envelope, licensee, { now: notBefore })).resolves.toBeDefined();
    await expect(
      openAs(envelope, licensee, { now: new Date(notAfter.getTime() + 999) }),
    ).resolves.toBeDefined();
  });

  it('is never the same twice, because every envelope has a fresh ephemeral key', async () => {
    const [a, b] = [await release(), await release()];
    expect(a.equals(b)).toBe(false);
    expect(
      readKeyEnvelopeHeader(a).encapsulatedKey.equals(readKeyEnvelopeHeader(b).encapsulatedKey),
    ).toBe(false);
  });

  it('fails with wrong-recipient when another agent opens it', async () => {
    await expectReason(openAs(await release(), intruder), 'wrong-recipient');
  });

  it('fails with wrong-recipient when the id matches but the key does not', async () => {
    const sameIdOtherKey = { ...intruder, id: licensee.id };
    await expectReason(openAs(await release(), sameIdOtherKey), 'wrong-recipient');
  });

  it('does not decrypt for another agent even when the header is forged and re-signed', async () => {
    const forged = resign(await release(), (unsigned) => {
      keyFingerprint(intruder.publicKey).copy(unsigned, RECIPIENT_FINGERPRINT);
      unsigned.write(intruder.id, RECIPIENT_ID, 'ascii');
    });
    expect(readKeyEnvelopeHeader(forged).recipientId).toBe(intruder.id);
    await expectReason(openAs(forged, intruder), 'decryption-failed');
  });

  it('does not decrypt when any header field is changed and re-signed, because the header is AAD', async () => {
    const forged = resign(await release(), (unsigned) => {
      unsigned.writeBigUInt64BE(BigInt(createdAt.getTime() / 1000 - 1), CREATED_AT);
    });
    await expectReason(openAs(forged, licensee), 'decryption-failed');
  });

  it('fails with outside-window before not_before and after not_after', async () => {
    const envelope = await release();
    await expectReason(
      openAs(envelope, licensee, { now: new Date(notBefore.getTime() - 1000) }),
      'outside-window',
    );
    await expectReason(
      openAs(envelope, licensee, { now: new Date(notAfter.getTime() + 1000) }),
      'outside-window',
    );
  });

  it('fails with bad-signature when it is signed by another key than the expected one', async () => {
    const envelope = await release({ signer: { ...intruder, id: studio.id } });
    await expectReason(openAs(envelope, licensee), 'bad-signature');
    await expectReason(openAs(await release(), licensee, { signer: intruder }), 'bad-signature');
  });

  it('fails with bad-signature when the expected releasing agent id differs', async () => {
    await expectReason(
      openKeyEnvelope(await release(), {
        recipient: licensee,
        signer: { id: 'another-agent', signingPublicKey: studio.signingPublicKey },
        now: inWindow,
      }),
      'bad-signature',
    );
  });

  it('fails with wrong-source when opened for another source', async () => {
    await expectReason(
      openAs(await release(), licensee, { sourceUuid: '283509238' }),
      'wrong-source',
    );
  });

  it('fails, with a format error, whichever byte is flipped', async () => {
    const envelope = await release();
    const reasons = new Set<string>();
    for (let at = 0; at < envelope.length; at++) {
      const altered = Buffer.from(envelope);
      altered[at]! ^= 0x01;
      const error: unknown = await openAs(altered, licensee).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, `byte ${at}`).toMatchObject({ name: 'SealedFormatError' });
      reasons.add((error as { reason: string }).reason);
    }
    expect([...reasons].sort()).toEqual(
      ['bad-signature', 'malformed', 'trailing-data', 'truncated', 'unsupported-version'].sort(),
    );
  });

  it('fails with truncated or trailing-data when cut or extended', async () => {
    const envelope = await release();
    await expectReason(openAs(envelope.subarray(0, envelope.length - 1), licensee), 'truncated');
    await expectReason(openAs(Buffer.concat([envelope, Buffer.of(0)]), licensee), 'trailing-data');
  });

  it('refuses a window that ends before it starts', async () => {
    await expect(
      sealKeyEnvelope({
        privateBlock,
        signer: studio,
        recipient: licensee,
        notBefore: notAfter,
        notAfter: notBefore,
      }),
    ).rejects.toThrow(RangeError);
  });
});

describe('vault copy', () => {
  it('is an envelope to and from the sealing agent itself, without a window', async () => {
    const copy = await sealVaultCopy(privateBlock, studio);
    const header = readKeyEnvelopeHeader(copy);
    expect(header).toMatchObject({ signerId: studio.id, recipientId: studio.id });
    expect(header.notBefore).toBeUndefined();
    expect(header.notAfter).toBeUndefined();
    expect(await openVaultCopy(copy, studio, privateBlock.sourceUuid)).toEqual(privateBlock);
  });

  it('keeps the private block out of the clear', async () => {
    const copy = await sealVaultCopy(privateBlock, studio);
    expect(copy.includes(Buffer.from(privateBlock.contentKey))).toBe(false);
    expect(copy.includes(Buffer.from(privateBlock.publicBlockCid!))).toBe(false);
  });

  it('cannot be opened by anyone else', async () => {
    const copy = await sealVaultCopy(privateBlock, studio);
    await expectReason(openVaultCopy(copy, licensee), 'bad-signature');
    await expectReason(openAs(copy, licensee), 'wrong-recipient');
  });
});
