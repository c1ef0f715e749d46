import type { FetchJob } from '@media-vault/contracts';
import {
  encodeRawKey,
  fingerprintHex,
  generateAgentIdentity,
  generateOwnerKey,
  OWNER_KEY_FILE,
  signGrant,
  type GrantStatement,
} from '@media-vault/sealed';
import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeSignerDecision } from '../src/grant-checks.rules.js';
import { KnownOwners, loadOrCreateOwnerKey } from '../src/owner-keys.js';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const owner = generateOwnerKey();
const sealer = generateAgentIdentity('studio-agent');
const self = generateAgentIdentity('licensee-agent');
const stranger = generateAgentIdentity('root-agent');
const uuid = 'uuid-ep21';
const cid = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

const statement = (change: Partial<GrantStatement> = {}): GrantStatement => ({
  id: '0b6f2a4e-8d3c-4f1a-9e57-2c8d1f6a3b90',
  issued_at: '2026-01-01T00:00:00.000Z',
  source: uuid,
  public_block: cid,
  owner: 'studio',
  sealer: sealer.id,
  sealer_signing_key: fingerprintHex(sealer.signingPublicKey),
  recipient: 'licensee',
  recipient_agent: self.id,
  recipient_public_key: fingerprintHex(self.publicKey),
  recipient_signing_key: fingerprintHex(self.signingPublicKey),
  not_before: null,
  not_after: null,
  ...change,
});

type Job = Pick<FetchJob, 'uuid' | 'publicBlock' | 'sealer' | 'grant'>;
const job = (change: Partial<Job> = {}): Job => ({
  uuid,
  publicBlock: { hash: cid, name: 'ep21.mp4', size: 1 },
  sealer: {
    agent: sealer.id,
    signingKey: encodeRawKey(sealer.signingPublicKey),
    ownerKey: encodeRawKey(owner.publicKey),
  },
  grant: signGrant(statement(), owner),
  ...change,
});

describe('envelopeSignerDecision: whose signature a fetching agent accepts', () => {
  it("the sealer key the owner's grant names, once the job's key has its fingerprint", () => {
    const decision = envelopeSignerDecision({ job: job(), self, ownerKey: owner.publicKey });
    expect(decision).toEqual({
      ok: true,
      value: { agent: sealer.id, signingPublicKey: Buffer.from(sealer.signingPublicKey) },
    });
  });

  it.each<[string, () => Job, RegExp]>([
    [
      'a job that swaps in another sealer key',
      () =>
        job({ sealer: { ...job().sealer!, signingKey: encodeRawKey(stranger.signingPublicKey) } }),
      /sealer key in the job is not the one the signed grant names/,
    ],
    [
      'a grant for another agent',
      () => job({ grant: signGrant(statement({ recipient_agent: stranger.id }), owner) }),
      /names agent root-agent, not this one/,
    ],
    [
      "a grant naming another key of this agent's id",
      () =>
        job({
          grant: signGrant(
            statement({ recipient_public_key: fingerprintHex(stranger.publicKey) }),
            owner,
          ),
        }),
      /another key of this agent/,
    ],
    [
      'a grant signed by another key',
      () => job({ grant: signGrant(statement(), generateOwnerKey()) }),
      /signature is not the owner's/,
    ],
    [
      'a grant for another public block',
      () => job({ publicBlock: { hash: 'bafkreiother', name: 'x', size: 1 } }),
      /another public block/,
    ],
    [
      "no grant, for another agent's key",
      () => job({ grant: null }),
      /no grant signed by the owner names this agent/,
    ],
    ['no sealer at all', () => job({ sealer: null }), /not sealed by an agent/],
  ])('refuses %s', (_, make, why) => {
    const decision = envelopeSignerDecision({ job: make(), self, ownerKey: owner.publicKey });
    expect(decision.ok).toBe(false);
    expect(!decision.ok && decision.reason).toMatch(why);
  });

  it("an owner's own download without a grant: only this agent's own signature", () => {
    const own = job({
      grant: null,
      sealer: { agent: self.id, signingKey: encodeRawKey(self.signingPublicKey), ownerKey: '' },
    });
    const decision = envelopeSignerDecision({ job: own, self, ownerKey: undefined });
    expect(decision.ok && Buffer.from(decision.value.signingPublicKey)).toEqual(
      Buffer.from(self.signingPublicKey),
    );
  });
});

describe('KnownOwners: owner keys pinned on first use', () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await makeTempDir('known-owners');
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it('keeps the first key offered for a sealer and ignores a later swap, also after a restart', async () => {
    const first = encodeRawKey(owner.publicKey);
    const swapped = encodeRawKey(generateOwnerKey().publicKey);
    const known = new KnownOwners(dir.path);
    expect(encodeRawKey(await known.ownerKeyFor('studio-agent', first))).toBe(first);
    expect(encodeRawKey(await known.ownerKeyFor('studio-agent', swapped))).toBe(first);
    const restarted = new KnownOwners(dir.path);
    expect(encodeRawKey(await restarted.ownerKeyFor('studio-agent', swapped))).toBe(first);
    // So a grant the platform re-signed with its own key for that sealer does not verify.
    const forged = signGrant(statement(), generateOwnerKey());
    const decision = envelopeSignerDecision({
      job: job({ grant: forged }),
      self,
      ownerKey: await restarted.ownerKeyFor('studio-agent', forged.owner_key),
    });
    expect(decision.ok).toBe(false);
  });

  it('makes an owner key (0600) on first start and reads the same one afterwards', async () => {
    const agentDir = join(dir.path, 'agent');
    await mkdir(agentDir, { recursive: true });
    const made = await loadOrCreateOwnerKey(agentDir);
    expect((await stat(join(agentDir, OWNER_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect(Buffer.from(await loadOrCreateOwnerKey(agentDir))).toEqual(Buffer.from(made));
    await writeFile(join(agentDir, OWNER_KEY_FILE), '{"kind":"something else"}');
    await expect(loadOrCreateOwnerKey(agentDir)).rejects.toThrow(/owner\.json: .*owner key/);
  });

  it('refuses a sealer that registered no owner key', async () => {
    await expect(new KnownOwners(dir.path).ownerKeyFor('other-agent', '')).rejects.toThrow(
      /registered no owner key/,
    );
  });
});
