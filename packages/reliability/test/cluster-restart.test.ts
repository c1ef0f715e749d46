import { ensureStreams } from '@media-vault/nats-admin';
import {
  connectNats,
  consumeJobs,
  createLogger,
  publishJob,
  type NatsConnection,
} from '@media-vault/service-kit';
import { makeTempDir, waitFor, type TempDir } from '@media-vault/test-harness';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from '../src/nats-cluster.js';

const log = createLogger('cluster-restart-test', 'silent');
const Job = Type.Object({ n: Type.Integer() });

// The whole-cluster restart row of the chaos run: every job consumer sat idle for about 30 s
// after the cluster was back, because the pulls it held died with the servers.
describe('a job consumer across a restart of the whole NATS cluster', () => {
  let dir: TempDir;
  let cluster: NatsCluster;
  let nc: NatsConnection;

  beforeAll(async () => {
    dir = await makeTempDir('cluster-restart');
    cluster = await startNatsCluster(dir.path);
    const admin = await cluster.connect();
    // A cluster just started elects its JetStream leader first: until then the API times out.
    await waitFor(
      'JetStream of the new cluster',
      () =>
        ensureStreams(admin, { replicas: 3 }).then(
          () => true,
          () => undefined,
        ),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    await admin.close();
    nc = await connectNats(
      { servers: cluster.url, name: 'consumer', credsFile: await cluster.creds({ kind: 'admin' }) },
      log,
    );
  }, 120_000);

  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
    await dir?.remove();
  });

  it('takes jobs again within seconds of the cluster answering, without a restart of its own', async () => {
    const subject = `jobs.test.restart-${Date.now().toString(36)}`;
    const seen: number[] = [];
    const consumer = await consumeJobs(nc, {
      durable: 'test-cluster-restart',
      subject,
      schema: Job,
      handle: async (job) => void seen.push(job.n),
      log,
    });
    try {
      await publishJob(nc, subject, { n: 1 }, `${subject}-1`);
      await waitFor('the first job', async () => seen.includes(1) || undefined);

      await Promise.all(cluster.nodes.map((n) => n.stop()));
      await new Promise((done) => setTimeout(done, 2_000));
      await Promise.all(cluster.nodes.map((n) => n.start()));
      // From the moment JetStream takes the job again: the stream has its leader back.
      await waitFor(
        'JetStream to store a job again',
        async () =>
          (await publishJob(nc, subject, { n: 2 }, `${subject}-2`).then(
            () => true,
            () => undefined,
          )) || undefined,
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      const stored = Date.now();
      await waitFor(
        'the job published after the restart',
        async () => seen.includes(2) || undefined,
        {
          timeoutMs: 60_000,
          intervalMs: 100,
        },
      );
      expect(Date.now() - stored).toBeLessThan(12_000);
    } finally {
      await consumer.stop();
    }
  }, 180_000);
});
