import { natsPermissions, Streams } from '@media-vault/contracts';
import { createIpfs, type IpfsPort } from '@media-vault/ipfs';
import { FfmpegRunner, toolVersion } from '@media-vault/media-tools';
import { createRuntime, type ServiceRuntime } from '@media-vault/service-kit';
import { join } from 'node:path';
import { startAgent } from './agent.js';
import type { AgentConfig } from './config.js';

export interface AgentService {
  readonly runtime: ServiceRuntime<Record<string, never>>;
  readonly ipfs: IpfsPort;
  readonly healthPort: number;
  close(): Promise<void>;
}

/**
 * One user's agent, often on a studio's own machine: seals, releases and fetches film masters
 * (jobs.ipfs.<agent>.>) through its own IPFS node, and verifies the masters it decrypts
 * (jobs.media.<agent>.compose) with ffprobe on the disk that holds them. It takes only the jobs
 * addressed to it: no platform job, no stream or bucket of the platform's.
 */
export async function startAgentService(config: AgentConfig): Promise<AgentService> {
  const runtime = await createRuntime({
    service: 'agent',
    natsUrl: config.NATS_URL,
    natsCreds: config.NATS_CREDS,
    natsCaFile: config.NATS_CA_FILE,
    logLevel: config.LOG_LEVEL,
    natsInboxPrefix: natsPermissions({ kind: 'agent', agent: config.agent.id }).inboxPrefix,
    healthPort: config.HEALTH_PORT,
    streams: [Streams.jobs.name],
  });
  try {
    const ffprobeVersion = await toolVersion(config.FFPROBE_PATH);
    runtime.log.info({ ffprobe: ffprobeVersion }, 'media tools found');
    const ipfs = await createIpfs({
      apiUrl: config.IPFS_API_URL,
      // Where the agent kept its embedded blockstore while it ran inside the ipfs-worker: an
      // agent upgraded in place keeps the public blocks it sealed.
      directory: join(config.DATA_DIR, 'ipfs-worker', 'helia'),
    });
    runtime.lifecycle.onClose('ipfs', () => ipfs.close());
    const peerId = await ipfs.peerId();
    runtime.log.info({ peerId, kubo: config.IPFS_API_URL ?? null }, 'IPFS node ready');

    const agent = await startAgent({
      settings: config.agent,
      media: new FfmpegRunner({
        ffmpegPath: config.FFMPEG_PATH,
        ffprobePath: config.FFPROBE_PATH,
        timeoutSeconds: config.FFMPEG_TIMEOUT_S,
      }),
      ipfs,
      nc: runtime.nc,
      log: runtime.log,
    });
    // Registered after the IPFS node, so it closes first: the job in hand finishes with its node.
    runtime.lifecycle.onClose('agent consumers', () => agent.stop());
    const healthPort = await runtime.serveHealth([
      ['ipfs', async () => void (await ipfs.peerId())],
      ['ffprobe', async () => void (await toolVersion(config.FFPROBE_PATH))],
    ]);
    return { runtime, ipfs, healthPort, close: () => runtime.lifecycle.close() };
  } catch (err) {
    await runtime.lifecycle.close();
    throw err;
  }
}
