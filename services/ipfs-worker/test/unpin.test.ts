import { connectAs, natsAccess, natsEnv } from '@media-vault/test-harness';
import { AssetJobSubjects, type UnpinJob } from '@media-vault/contracts';
import { publishJob } from '@media-vault/service-kit';
import { makeTempDir, waitFor } from '@media-vault/test-harness';
import { jetstreamManager } from '@nats-io/jetstream';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadIpfsWorkerConfig } from '../src/config.js';
import { startIpfsWorker, type IpfsWorker } from '../src/ipfs-worker.js';

const servers = inject('servers');
const { kuboApiUrl } = servers;
const nats = natsAccess(servers);

describe('jobs.ipfs.unpin', () => {
  let worker: IpfsWorker;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;

  beforeAll(async () => {
    dir = await makeTempDir('unpin');
    worker = await startIpfsWorker(
      loadIpfsWorkerConfig({
        ...(await natsEnv(nats, { kind: 'ipfs-worker' })),
        IPFS_API_URL: kuboApiUrl,
        HEALTH_PORT: '0',
        LOG_LEVEL: 'silent',
        DATA_DIR: dir.path,
      }),
    );
  });
  afterAll(async () => {
    await worker?.close();
    await dir?.remove();
  });

  it('unpins every CID of the job, and a redelivered job changes nothing', async () => {
    const added = await Promise.all(
      [1, 2].map(async () => {
        const { cid } = await worker.ipfs.add(
          (async function* () {
            yield randomBytes(1000);
          })(),
        );
        await worker.ipfs.pin(cid);
        return cid;
      }),
    );
    const job: UnpinJob = { id: randomUUID(), cids: added };
    const nc = await connectAs(nats);
    try {
      await publishJob(nc, AssetJobSubjects.unpin, job, job.id);
      await waitFor('both CIDs unpinned', async () => {
        const pinned = await Promise.all(added.map((cid) => worker.ipfs.isPinned(cid)));
        return pinned.every((p) => !p);
      });
      // The same job again, under a new message id so the stream accepts it: still fine.
      await publishJob(nc, AssetJobSubjects.unpin, job, `${job.id}:again`);
      await waitFor('the repeat to be consumed', async () => {
        const jsm = await jetstreamManager(nc);
        const info = await jsm.consumers.info('JOBS', 'ipfs-unpin');
        return info.num_pending === 0 && info.num_ack_pending === 0;
      });
      expect(await Promise.all(added.map((cid) => worker.ipfs.isPinned(cid)))).toEqual([
        false,
        false,
      ]);
    } finally {
      await nc.close();
    }
  });
});
