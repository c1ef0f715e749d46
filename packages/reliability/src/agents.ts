import { OWNER_KEY_FILE } from '@media-vault/sealed';
import { freePort } from '@media-vault/test-harness';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signToken } from './http-client.js';
import { Replica, type Platform } from './platform.js';

/** One user's agent, its own process as on the user's machine, and what the flow needs of it. */
export interface RunAgent {
  readonly id: string;
  readonly userId: string;
  readonly token: string;
  readonly replica: Replica;
  /** Its key directory: the owner key `vault grant` signs with lives here (studio). */
  readonly keyDir: string;
  readonly ingestRoot: string;
  readonly downloadDir: string;
}

export interface SealedAgents {
  readonly studio: RunAgent;
  readonly licensee: RunAgent;
  /** A fresh master under the studio's ingest root, its path relative to the root. */
  nextMaster(n: string): Promise<SealedMaster>;
}

export interface SealedMaster {
  /** Relative to the studio's ingest root, as the upload task carries it. */
  readonly path: string;
  /** The file name, which the licensee's composed copy gets. */
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

/** Small segments, so a short master is many of them and a kill lands inside the seal. */
const SEGMENT_SIZE = 262_144;

const run = promisify(execFile);

/** A video master (H.264 with noise, so it does not compress away, and an AAC tone). */
async function makeMaster(path: string, seconds: number): Promise<{ path: string; size: number }> {
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440'],
    ...['-t', String(seconds), '-vf', 'noise=alls=40:allf=t'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-c:a', 'aac', '-shortest'],
    path,
  ]);
  return { path, size: (await stat(path)).size };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Starts a studio's agent and a licensee's agent beside the platform, as `npm run agent` does on
 * each user's machine: their own processes, keys and folders, their own NATS users, reporting
 * through a gateway with their user's token. They use the platform's Kubo node (the agent tests
 * do the same); what matters here is the agent process dying, not the network between nodes.
 */
export async function startSealedAgents(platform: Platform): Promise<SealedAgents> {
  const root = join(platform.dir, 'agents');
  const masters = join(root, 'masters');
  await mkdir(masters, { recursive: true });
  const start = async (role: 'studio' | 'licensee', gateway: string): Promise<RunAgent> => {
    const id = `${role}-agent`;
    const userId = `${role}-sealed`;
    const token = await signToken(platform.jwtSecret, userId);
    const dataDir = join(root, role);
    const ingestRoot = join(dataDir, 'ingest');
    const downloadDir = join(dataDir, 'downloads');
    await mkdir(ingestRoot, { recursive: true });
    await mkdir(downloadDir, { recursive: true });
    const env = {
      NATS_URL: platform.nats.url,
      NATS_CREDS: await platform.creds({ kind: 'agent', agent: id }),
      IPFS_API_URL: platform.kubo().apiUrl,
      GATEWAY_URL: gateway,
      HEALTH_PORT: String(await freePort()),
      DATA_DIR: dataDir,
      AGENT_ID: id,
      AGENT_TOKEN: token,
      INGEST_ROOT: ingestRoot,
      DOWNLOAD_DIR: downloadDir,
      SEGMENT_SIZE: String(SEGMENT_SIZE),
      // A killed agent's job comes back to it (started again) after this long.
      JOB_ACK_WAIT_SECONDS: '3',
      PRIVATE_BLOCK_WAIT_SECONDS: '60',
      IPFS_FETCH_TIMEOUT_SECONDS: '20',
      LOG_LEVEL: 'info',
      NO_COLOR: '1',
    };
    const replica = new Replica('agent', 0, env, platform.logFile(id), undefined, id);
    platform.adopt(() => replica.stop());
    await replica.start();
    return {
      id,
      userId,
      token,
      replica,
      keyDir: join(dataDir, 'agents', id),
      ingestRoot,
      downloadDir,
    };
  };
  // Each agent reports through its own gateway: one gateway killed is not what this measures.
  const [studio, licensee] = await Promise.all([
    start('studio', platform.gatewayUrls[0]!),
    start('licensee', platform.gatewayUrls.at(-1)!),
  ]);
  await stat(join(studio.keyDir, OWNER_KEY_FILE));
  // One master made once; each flow seals a hard link of it under a name of its own, so each
  // composed copy lands under its own name.
  const original = await makeMaster(join(masters, 'master.mp4'), 4);
  const sha256 = await sha256File(original.path);
  return {
    studio,
    licensee,
    async nextMaster(n) {
      const name = `m-${n}.mp4`;
      await link(original.path, join(studio.ingestRoot, name));
      return { path: name, name, size: original.size, sha256 };
    },
  };
}
