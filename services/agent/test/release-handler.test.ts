import {
  TaskStatus,
  type Grant,
  type PrivateUploadTask,
  type ReleaseJob,
} from '@media-vault/contracts';
import { createKuboIpfs, type IpfsPort } from '@media-vault/ipfs';
import {
  encodeRawKey,
  fingerprintHex,
  generateAgentIdentity,
  generateOwnerKey,
  openKeyEnvelope,
  readKeyEnvelopeHeader,
  sealVaultCopy,
  signGrant,
  type GrantStatement,
  type OwnerKey,
  type PrivateBlock,
} from '@media-vault/sealed';
import { createLogger, type JobContext } from '@media-vault/service-kit';
import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AgentContext } from '../src/agent-context.js';
import { loadOrCreateIdentity, type AgentSecrets } from '../src/identity-store.js';
import { KnownOwners } from '../src/owner-keys.js';
import { releaseHandler } from '../src/release.handler.js';
import type { TaskClient } from '@media-vault/task-client';
import { Vault } from '../src/vault.js';

const { kuboApiUrl } = inject('servers');

const ctx: JobContext = {
  log: createLogger('test', 'silent'),
  attempt: 1,
  working: () => {},
};

async function catAll(ipfs: IpfsPort, cid: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of ipfs.cat(cid)) parts.push(part);
  return Buffer.concat(parts);
}

/**
 * The release handler on real Kubo, with the platform's task API played by the test: the agent's
 * side of a release, where its cryptographic choices are made.
 */
describe('release handler', () => {
  let dir: TempDir;
  let ipfs: IpfsPort;
  let agent: AgentContext;
  const reports: { hash?: string | undefined; status: number }[] = [];
  const recipient = generateAgentIdentity('licensee-agent');
  const sourceId = 7;
  const uuid = randomUUID();
  const publicBlockCid = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

  const task = (): PrivateUploadTask => ({
    id: 11,
    status: TaskStatus.notStarted,
    percent: 0,
    series_id: 1,
    source_id: sourceId,
    source_name: 'ep.mov',
    uuid,
    ip: '',
    file: '',
    name: '',
    size: 0,
    hash: '',
    created_at: '2026-11-30 10:00:00',
  });

  const job = (): ReleaseJob => ({
    id: randomUUID(),
    agent: 'studio-agent',
    ownerId: 'studio',
    privateTaskId: 11,
    downloadTaskId: 12,
    sourceId,
    uuid,
    publicBlockCid,
    recipient: {
      userId: 'licensee',
      agent: recipient.id,
      peerId: '12D3KooWrecipient',
      publicKey: encodeRawKey(recipient.publicKey),
      signingKey: encodeRawKey(recipient.signingPublicKey),
    },
  });

  const owner: OwnerKey = generateOwnerKey();
  let secrets: AgentSecrets;
  /** What the platform answers for the source's grants; each test sets it. */
  let grants: Grant[] = [];

  const statement = (change: Partial<GrantStatement> = {}): GrantStatement => ({
    id: randomUUID(),
    issued_at: new Date().toISOString(),
    source: uuid,
    public_block: publicBlockCid,
    owner: 'studio',
    sealer: 'studio-agent',
    sealer_signing_key: fingerprintHex(secrets.identity.signingPublicKey),
    recipient: 'licensee',
    recipient_agent: recipient.id,
    recipient_public_key: fingerprintHex(recipient.publicKey),
    recipient_signing_key: fingerprintHex(recipient.signingPublicKey),
    not_before: null,
    not_after: '2030-01-01T00:00:00.000Z',
    ...change,
  });

  const grantRecord = (change: Partial<Grant> = {}, by: OwnerKey = owner): Grant => ({
    id: 1,
    source_id: sourceId,
    user_id: 'licensee',
    granted_by: 'studio',
    not_before: null,
    not_after: null,
    status: 'active',
    valid: true,
    signed_grant: signGrant(statement(), by),
    signed_revocation: null,
    created_at: '2026-11-30 10:00:00',
    updated_at: '2026-11-30 10:00:00',
    ...change,
  });

  const released = () => reports.filter((r) => r.status === TaskStatus.done).length;

  beforeAll(async () => {
    dir = await makeTempDir('release');
    ipfs = createKuboIpfs({ url: kuboApiUrl! });
    secrets = await loadOrCreateIdentity(join(dir.path, 'identity'), 'studio-agent');
    const vault = new Vault(join(dir.path, 'vault'));
    const privateBlock: PrivateBlock = {
      sourceUuid: uuid,
      contentKey: randomBytes(32),
      segmentSize: 1 << 20,
      segmentCount: 1,
      plaintextSize: 1000,
      plaintextSha256: randomBytes(32),
      publicBlockCid,
    };
    await vault.write(uuid, publicBlockCid, await sealVaultCopy(privateBlock, secrets.identity));
    // Every delivery finds the private task still owed, as a retried task (9 → 0) would be.
    const api = {
      listGrants: async () => grants,
      listPrivateTasks: async () => ({ data: [task()] }),
      appendAudit: async () => ({}),
      reportPrivate: async (_id: number, report: { status: number; hash?: string }) => {
        reports.push({ status: report.status, hash: report.hash });
        return { ...task(), status: report.status, hash: report.hash ?? '' };
      },
    } as unknown as TaskClient;
    agent = {
      settings: {} as AgentContext['settings'],
      secrets,
      ownerKey: owner.publicKey,
      knownOwners: new KnownOwners(join(dir.path, 'identity')),
      userId: 'studio',
      api,
      vault,
      // A release never probes media.
      media: {} as AgentContext['media'],
      peerId: '12D3KooWstudio',
    };
  });

  afterAll(async () => {
    await ipfs?.close();
    await dir?.remove();
  });

  it('seals every release to a fresh ephemeral key, even for the same task and recipient', async () => {
    const release = releaseHandler(agent, ipfs);
    const before = released();
    // The same private task released twice with another window (a retry after the owner signed
    // a new grant): a derived ephemeral key would reuse the HPKE key and nonce for other bytes.
    grants = [grantRecord()];
    await release(job(), ctx);
    grants = [
      grantRecord({
        signed_grant: signGrant(statement({ not_after: '2031-01-01T00:00:00.000Z' }), owner),
      }),
    ];
    await release(job(), ctx);
    const cids = reports
      .slice(before)
      .filter((r) => r.status === TaskStatus.done)
      .map((r) => r.hash!);
    expect(cids).toHaveLength(2);
    const envelopes = await Promise.all(cids.map((cid) => catAll(ipfs, cid)));
    const [first, second] = envelopes.map((e) => readKeyEnvelopeHeader(e));
    expect(first!.encapsulatedKey.equals(second!.encapsulatedKey)).toBe(false);
    // The windows are the signed statements', not anything in the job.
    expect(first!.notAfter?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(second!.notAfter?.toISOString()).toBe('2031-01-01T00:00:00.000Z');
    const signer = { signingPublicKey: agent.secrets.identity.signingPublicKey };
    for (const envelope of envelopes) {
      const opened = await openKeyEnvelope(envelope, {
        recipient,
        signer,
        now: new Date('2029-06-01T00:00:00Z'),
      });
      expect(opened.privateBlock.sourceUuid).toBe(uuid);
    }
  });

  const other = generateAgentIdentity('root-agent');
  it.each<[string, () => Grant[], () => ReleaseJob, RegExp]>([
    ['no grant at all', () => [], job, /no release: user licensee holds no grant for source 7/],
    [
      'a grant root made on the platform, unsigned',
      () => [grantRecord({ signed_grant: null, granted_by: 'root' })],
      job,
      /not signed by the owner/,
    ],
    [
      'a grant signed by a key that is not the owner key on this agent',
      () => [grantRecord({}, generateOwnerKey())],
      job,
      /does not verify: the signature is not the owner's/,
    ],
    [
      'a revoked grant (signed statement still there)',
      () => [grantRecord({ status: 'revoked', valid: false })],
      job,
      /was revoked/,
    ],
    [
      'a grant whose window has closed',
      () => [
        grantRecord({
          signed_grant: signGrant(
            statement({
              not_before: '2020-01-01T00:00:00.000Z',
              not_after: '2021-01-01T00:00:00.000Z',
            }),
            owner,
          ),
        }),
      ],
      job,
      /expired at 2021-01-01/,
    ],
    [
      'a forged job naming another recipient key',
      () => [grantRecord()],
      () => ({
        ...job(),
        recipient: { ...job().recipient, publicKey: encodeRawKey(other.publicKey) },
      }),
      /recipient key is not the one the signed grant names/,
    ],
    [
      'a forged job naming another agent for the granted user',
      () => [grantRecord()],
      () => ({
        ...job(),
        recipient: {
          ...job().recipient,
          agent: other.id,
          publicKey: encodeRawKey(other.publicKey),
          signingKey: encodeRawKey(other.signingPublicKey),
        },
      }),
      /names agent licensee-agent/,
    ],
  ])(
    'refuses %s: no envelope, the task is not reported done',
    async (_, grantsNow, jobNow, why) => {
      grants = grantsNow();
      const before = released();
      await expect(releaseHandler(agent, ipfs)(jobNow(), ctx)).rejects.toThrow(why);
      expect(released()).toBe(before);
    },
  );
});
