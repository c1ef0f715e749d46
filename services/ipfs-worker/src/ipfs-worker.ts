import { AssetBuckets, natsPermissions } from '@media-vault/contracts';
import { Streams } from '@media-vault/contracts';
import { createIpfs, embeddedIpfsDirectory, type IpfsPort } from '@media-vault/ipfs';
import { createRuntime, serveJobs, type ServiceRuntime } from '@media-vault/service-kit';
import { jetstream } from '@nats-io/jetstream';
import { stagingFromSettings } from '@media-vault/object-store';
import type { IpfsWorkerConfig } from './config.js';
import { ipfsAddHandler } from './ipfs-add/ipfs-add.handler.js';
import { pinHandler } from './pin/pin.handler.js';
import { unpinHandler } from './unpin/unpin.handler.js';

export interface IpfsWorker {
  readonly runtime: ServiceRuntime<Record<string, never>>;
  readonly ipfs: IpfsPort;
  readonly healthPort: number;
  close(): Promise<void>;
}

/**
 * The platform's only writer to IPFS, through Kubo over RPC or an embedded Helia node: adds and
 * pins merged audio files (jobs.ipfs.add), unpins (jobs.ipfs.unpin), and pins the sealed blocks
 * agents add on their own nodes (jobs.ipfs.pin), so the platform seeds what it publishes.
 */
export async function startIpfsWorker(config: IpfsWorkerConfig): Promise<IpfsWorker> {
  const runtime = await createRuntime({
    service: 'ipfs-worker',
    natsUrl: config.NATS_URL,
    natsCreds: config.NATS_CREDS,
    natsCaFile: config.NATS_CA_FILE,
    logLevel: config.LOG_LEVEL,
    natsInboxPrefix: natsPermissions({ kind: 'ipfs-worker' }).inboxPrefix,
    healthPort: config.HEALTH_PORT,
    streams: [Streams.jobs.name],
  });
  try {
    const ipfs = await createIpfs({
      apiUrl: config.IPFS_API_URL,
      directory: embeddedIpfsDirectory(config.DATA_DIR),
    });
    runtime.lifecycle.onClose('ipfs', () => ipfs.close());
    const peerId = await ipfs.peerId();
    runtime.log.info({ peerId, kubo: config.IPFS_API_URL ?? null }, 'IPFS node ready');

    const buckets = stagingFromSettings(
      config,
      () => jetstream(runtime.nc),
      Object.values(AssetBuckets),
    );
    const add = ipfsAddHandler({ nc: runtime.nc, buckets, ipfs });
    const consumers = await serveJobs(runtime.nc, {
      worker: 'ipfs-worker',
      handlers: {
        'jobs.ipfs.add': add,
        'jobs.ipfs.unpin': { handle: unpinHandler(ipfs) },
        // Pins mostly wait on other nodes: one block whose node is away must not hold up the rest.
        'jobs.ipfs.pin': {
          ...pinHandler(ipfs, config.IPFS_FETCH_TIMEOUT_SECONDS * 1000, runtime.log),
          concurrency: 4,
          maxDeliver: config.IPFS_PIN_ATTEMPTS,
        },
      },
      log: runtime.log,
      metrics: runtime.metrics,
    });
    // Registered after the IPFS node, so they close first: the jobs in hand finish with its node.
    runtime.lifecycle.onClose('job consumers', () => consumers.stop());
    const healthPort = await runtime.serveHealth([
      ['ipfs', async () => void (await ipfs.peerId())],
    ]);
    return { runtime, ipfs, healthPort, close: () => runtime.lifecycle.close() };
  } catch (err) {
    await runtime.lifecycle.close();
    throw err;
  }
}
