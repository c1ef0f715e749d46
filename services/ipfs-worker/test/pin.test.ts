import { JobSubjects, Streams, type PinJob } from '@media-vault/contracts';
import { createKuboIpfs, type IpfsPort } from '@media-vault/ipfs';
import { publishJob } from '@media-vault/service-kit';
import {
  connectAs,
  kuboIsPinned,
  makeTempDir,
  natsAccess,
  natsEnv,
  startKubo,
  waitFor,
  type StartedKubo,
  type TempDir,
} from '@media-vault/test-harness';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadIpfsWorkerConfig } from '../src/config.js';
import { startIpfsWorker, type IpfsWorker } from '../src/ipfs-worker.js';

const nats = natsAccess(inject('servers'));
const TIMEOUT_S = 1;
const ATTEMPTS = 3;

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function sha256Of(source: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of source) hash.update(chunk);
  return hash.digest('hex');
}

async function recursivePins(kuboApiUrl: string): Promise<string[]> {
  const res = await fetch(`${kuboApiUrl}/api/v0/pin/ls?type=recursive`, { method: 'POST' });
  return Object.keys(((await res.json()) as { Keys?: object }).Keys ?? {}).sort();
}

/**
 * jobs.ipfs.pin on the platform's own Kubo daemon, with the block on a second daemon (an agent's
 * node) peered with it: the worker fetches over the network and pins what only the other holds.
 */
describe('jobs.ipfs.pin between two Kubo daemons', () => {
  let dir: TempDir;
  let platformNode: StartedKubo;
  let agentNode: StartedKubo;
  let agentIpfs: IpfsPort;
  let worker: IpfsWorker;
  let nc: NatsConnection;

  const pinJob = (cid: string, id = randomUUID()): PinJob => ({
    id,
    cid,
    peers: [agentNode.peerId],
    task: { kind: 'upload', id: 1 },
  });

  /** The pin consumer has nothing waiting and nothing in hand. */
  const pinConsumerIdle = async () => {
    const info = await (await jetstreamManager(nc)).consumers.info(Streams.jobs.name, 'ipfs-pin');
    return info.num_pending === 0 && info.num_ack_pending === 0;
  };

  const givenUp = async (): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${worker.healthPort}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('vault_jobs_given_up_total{') && l.includes('jobs.ipfs.pin'));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  beforeAll(async () => {
    dir = await makeTempDir('pin');
    platformNode = await startKubo({ online: true, label: 'kubo-platform' });
    agentNode = await startKubo({ online: true, peers: [platformNode], label: 'kubo-agent' });
    agentIpfs = createKuboIpfs({ url: agentNode.apiUrl });
    worker = await startIpfsWorker(
      loadIpfsWorkerConfig({
        ...(await natsEnv(nats, { kind: 'ipfs-worker' })),
        IPFS_API_URL: platformNode.apiUrl,
        IPFS_FETCH_TIMEOUT_SECONDS: String(TIMEOUT_S),
        IPFS_PIN_ATTEMPTS: String(ATTEMPTS),
        HEALTH_PORT: '0',
        LOG_LEVEL: 'silent',
        DATA_DIR: dir.path,
      }),
    );
    nc = await connectAs(nats);
    // Jobs other files left on the stream are the worker's to finish before these start.
    await waitFor(
      'the pin consumer to be idle',
      async () => (await pinConsumerIdle()) || undefined,
      {
        timeoutMs: 60_000,
      },
    );
  }, 120_000);

  afterAll(async () => {
    await nc?.close();
    await worker?.close();
    await Promise.allSettled([agentNode, platformNode].map((node) => node?.stop()));
    await dir?.remove();
  });

  const held = { cid: '', sha256: '' };

  it('pins a block only the other node holds, every block of it on the platform node', async () => {
    const bytes = randomBytes(3 * 262_144 + 1_000);
    const { cid } = await agentIpfs.add(once(bytes));
    Object.assign(held, { cid, sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(await kuboIsPinned(platformNode.apiUrl, cid)).toBe(false);

    await publishJob(nc, JobSubjects.pin, pinJob(cid), randomUUID());
    await waitFor(
      'the block pinned on the platform node',
      async () => (await kuboIsPinned(platformNode.apiUrl, cid)) || undefined,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    // Read local-only: the platform node holds the whole file, not just its root.
    expect(await sha256Of(worker.ipfs.cat(cid))).toBe(held.sha256);
  });

  it('changes nothing when the job is delivered again', async () => {
    expect(held.cid).not.toBe('');
    const before = await recursivePins(platformNode.apiUrl);
    const job = pinJob(held.cid);
    // The same job under new message ids, as JetStream redelivers it or the outbox resends it.
    await publishJob(nc, JobSubjects.pin, job, `${job.id}:1`);
    await publishJob(nc, JobSubjects.pin, job, `${job.id}:2`);
    await waitFor('both repeats consumed', async () => (await pinConsumerIdle()) || undefined);
    expect(await recursivePins(platformNode.apiUrl)).toEqual(before);
    expect(await givenUp()).toBe(0);
    expect(await sha256Of(worker.ipfs.cat(held.cid))).toBe(held.sha256);
  });

  it('gives up on a block nobody holds after its bounded attempts, counted, and keeps pinning', async () => {
    const { cid } = await agentIpfs.add(once(randomBytes(2_000)));
    // Off the agent's node again: now no node has it.
    const rm = await fetch(`${agentNode.apiUrl}/api/v0/block/rm?arg=${cid}`, { method: 'POST' });
    expect(rm.ok).toBe(true);
    const before = await givenUp();
    const started = performance.now();
    await publishJob(nc, JobSubjects.pin, pinJob(cid), randomUUID());
    await waitFor('the pin to be given up', async () => (await givenUp()) > before || undefined, {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    // Every attempt waited its time on the network, with 1 s and 2 s between them.
    expect(performance.now() - started).toBeGreaterThanOrEqual(ATTEMPTS * TIMEOUT_S * 1000 + 3_000);
    expect(await givenUp()).toBe(before + 1);
    expect(await kuboIsPinned(platformNode.apiUrl, cid)).toBe(false);
    await waitFor('the job off the stream', async () => (await pinConsumerIdle()) || undefined);

    // The worker is still there and still pins.
    const { cid: next } = await agentIpfs.add(once(randomBytes(5_000)));
    await publishJob(nc, JobSubjects.pin, pinJob(next), randomUUID());
    await waitFor(
      'the next block pinned',
      async () => (await kuboIsPinned(platformNode.apiUrl, next)) || undefined,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }, 90_000);
});
