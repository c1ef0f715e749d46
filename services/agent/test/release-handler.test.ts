import { TaskStatus, type PrivateUploadTask, type ReleaseJob } from '@media-vault/contracts';
import { createKuboIpfs, type IpfsPort } from '@media-vault/ipfs';
import {
  encodeRawKey,
  generateAgentIdentity,
  openKeyEnvelope,
  readKeyEnvelopeHeader,
  sealVaultCopy,
  type PrivateBlock,
} from '@media-vault/sealed';
import { createLogger, type JobContext } from '@media-vault/service-kit';
import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AgentContext } from '../src/agent-context.js';
import { loadOrCreateIdentity } from '../src/identity-store.js';
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

  const job = (window: ReleaseJob['grant']): ReleaseJob => ({
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
    grant: window,
  });

  beforeAll(async () => {
    dir = await makeTempDir('release');
    ipfs = createKuboIpfs({ url: kuboApiUrl! });
    const secrets = await loadOrCreateIdentity(join(dir.path, 'identity'), 'studio-agent');
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
    // The same private task released twice with another window (a retry after the grant
    // changed): a derived ephemeral key would reuse the HPKE key and nonce for other bytes.
    await release(job({ notBefore: null, notAfter: '2030-01-01T00:00:00Z' }), ctx);
    await release(job({ notBefore: null, notAfter: '2031-01-01T00:00:00Z' }), ctx);
    const cids = reports.filter((r) => r.status === TaskStatus.done).map((r) => r.hash!);
    expect(cids).toHaveLength(2);
    const envelopes = await Promise.all(cids.map((cid) => catAll(ipfs, cid)));
    const [first, second] = envelopes.map((e) => readKeyEnvelopeHeader(e));
    expect(first!.encapsulatedKey.equals(second!.encapsulatedKey)).toBe(false);
    // Both still open for the recipient, each with its own window.
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
});
