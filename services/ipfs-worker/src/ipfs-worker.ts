import { createIpfs, type IpfsPort } from '@media-vault/ipfs';
import { createRuntime, type ServiceRuntime } from '@media-vault/service-kit';
import { join } from 'node:path';
import type { IpfsWorkerConfig } from './config.js';

export interface IpfsWorker {
  readonly runtime: ServiceRuntime<Record<string, never>>;
  readonly ipfs: IpfsPort;
  readonly healthPort: number;
  close(): Promise<void>;
}

/**
 * The only writer to IPFS. At this stage it connects NATS and its IPFS node (Kubo over RPC, or an
 * embedded Helia node) and reports readiness; the seal, release and fetch job handlers build on it.
 */
export async function startIpfsWorker(config: IpfsWorkerConfig): Promise<IpfsWorker> {
  const runtime = await createRuntime({
    service: 'ipfs-worker',
    natsUrl: config.NATS_URL,
    natsCreds: config.NATS_CREDS,
    logLevel: config.LOG_LEVEL,
    healthPort: config.HEALTH_PORT,
  });
  try {
    const ipfs = await createIpfs({
      apiUrl: config.IPFS_API_URL,
      directory: join(config.DATA_DIR, 'ipfs-worker', 'helia'),
    });
    runtime.lifecycle.onClose('ipfs', () => ipfs.close());
    const peerId = await ipfs.peerId();
    runtime.log.info({ peerId, kubo: config.IPFS_API_URL ?? null }, 'IPFS node ready');
    const healthPort = await runtime.serveHealth([
      ['ipfs', async () => void (await ipfs.peerId())],
    ]);
    return { runtime, ipfs, healthPort, close: () => runtime.lifecycle.close() };
  } catch (err) {
    await runtime.lifecycle.close();
    throw err;
  }
}
