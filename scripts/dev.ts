/**
 * Runs the whole platform on one machine: nats-server with authentication (unless NATS_URL is
 * set), then every service as its own process with its own NATS user and creds file. Without
 * DATABASE_URL each service keeps PGlite under .data/; with it, tasks and assets share that one
 * database, each in its own schema. Without IPFS_API_URL it starts Kubo when installed (online
 * but loopback-only: no bootstrap peers, no MDNS, swarm on 127.0.0.1:DEV_KUBO_SWARM_PORT, every
 * other address range filtered; repository under .data/kubo), else the ipfs-worker runs an
 * embedded Helia node. Each agent (`npm run agent`) runs its own node, peered with this one. The NATS trust chain and the gateway's principal key are made once under .data/.
 */
import {
  findBinary,
  installHints,
  startKubo,
  startProcess,
  type StartedProcess,
} from '@media-vault/test-harness';
import type { NatsIdentity } from '@media-vault/contracts';
import { ensureStreams } from '@media-vault/nats-admin';
import { connectNats, createLogger } from '@media-vault/service-kit';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { issueCreds, prepareNatsAuth, principalKeys } from './dev-auth.js';
import { DEV_JWT_SECRET, DEV_PORTS } from './dev-defaults.js';

const root = resolve(import.meta.dirname, '..');
const dataDir = resolve(root, process.env.DATA_DIR ?? '.data');

async function startLocalNats(): Promise<{ url: string; proc: StartedProcess }> {
  const bin = findBinary('nats-server');
  if (!bin) {
    console.error(
      `NATS_URL is not set and no nats-server was found.\n${installHints['nats-server']}\n` +
        'or run: bash scripts/install-tools.sh — or set NATS_URL to a running server.',
    );
    process.exit(1);
  }
  const store = resolve(dataDir, 'nats');
  await mkdir(store, { recursive: true });
  const port = DEV_PORTS.nats;
  // No anonymous users: the server trusts the development operator and nothing else.
  const config = resolve(store, 'nats.conf');
  // nats-server resolves includes against the including file's folder, absolute paths too.
  const auth = relative(store, await prepareNatsAuth(dataDir));
  await writeFile(config, `include ${JSON.stringify(auth)}\n`);
  const proc = await startProcess({
    command: bin,
    args: [
      ...['-c', config, '-js', '-sd', store, '-a', '127.0.0.1', '-p', String(port)],
      ...['-n', 'media-vault-dev', '-P', resolve(store, 'nats.pid')],
    ],
    label: 'nats-server',
    readyWhen: /Server is ready/,
  }).catch((err: Error) => {
    console.error(`${err.message}\nIs port ${port} in use? Stop that server or set NATS_URL.`);
    process.exit(1);
  });
  console.log(`nats-server with JetStream and auth on nats://127.0.0.1:${port} (store ${store})`);
  return { url: `nats://127.0.0.1:${port}`, proc };
}

/** Kubo when it is installed (agents peer with it); else the ipfs-worker's embedded Helia. */
async function startLocalKubo(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  if (!findBinary('ipfs')) {
    console.log(
      'no Kubo (ipfs) found: the ipfs-worker runs embedded Helia; the gateway reads its blocks',
    );
    return undefined;
  }
  const kubo = await startKubo({
    repoDir: resolve(dataDir, 'kubo'),
    apiPort: DEV_PORTS.kubo,
    swarmPort: DEV_PORTS.kuboSwarm,
    online: true,
  });
  // startKubo already said it is ready, with its API address; the swarm address is what agents need.
  console.log(`kubo swarm ${kubo.swarmAddress} (the agents of npm run agent peer with it)`);
  return { url: kubo.apiUrl, stop: () => kubo.stop() };
}

const keys = await principalKeys(dataDir);
const services: { name: string; identity: NatsIdentity; env: Record<string, string> }[] = [
  {
    name: 'tasks',
    identity: { kind: 'tasks' },
    env: { HEALTH_PORT: String(DEV_PORTS.health.tasks), PRINCIPAL_KEYS: keys.publicKey },
  },
  {
    name: 'assets',
    identity: { kind: 'assets' },
    env: { HEALTH_PORT: String(DEV_PORTS.health.assets), PRINCIPAL_KEYS: keys.publicKey },
  },
  {
    name: 'ipfs-worker',
    identity: { kind: 'ipfs-worker' },
    env: { HEALTH_PORT: String(DEV_PORTS.health['ipfs-worker']) },
  },
  {
    name: 'media-worker',
    identity: { kind: 'media-worker' },
    env: { HEALTH_PORT: String(DEV_PORTS.health['media-worker']) },
  },
  {
    name: 'gateway',
    identity: { kind: 'gateway' },
    env: {
      PORT: process.env.PORT ?? String(DEV_PORTS.gateway),
      JWT_SECRET: process.env.JWT_SECRET ?? DEV_JWT_SECRET,
      PRINCIPAL_SIGNING_KEY: keys.signingKey,
      // One gateway and no balancer: Ctrl-C need not wait for clients to move elsewhere.
      SHUTDOWN_DRAIN_MS: process.env.SHUTDOWN_DRAIN_MS ?? '0',
    },
  },
];

const nats = process.env.NATS_URL ? undefined : await startLocalNats();
const natsUrl = process.env.NATS_URL ?? nats!.url;
if (!nats) {
  console.log(
    `NATS_URL is set: that server must include ${relative(root, await prepareNatsAuth(dataDir))} ` +
      "(it trusts this platform's operator) for the services to connect",
  );
}
// The admin provisions the streams; services may only look them up.
{
  const admin = await connectNats(
    {
      servers: natsUrl,
      name: 'dev-admin',
      credsFile: await issueCreds(dataDir, { kind: 'admin' }),
    },
    createLogger('dev', 'warn'),
  );
  await ensureStreams(admin, { replicas: Number(process.env.STREAM_REPLICAS ?? 1) });
  await admin.close();
}
const observerCreds = await issueCreds(dataDir, { kind: 'observer' });
const kubo = process.env.IPFS_API_URL
  ? undefined
  : await startLocalKubo().catch(async (err: Error) => {
      // Nothing else runs yet: stop the NATS server started above rather than leave it behind.
      console.error(
        `${err.message}\nIs port ${DEV_PORTS.kubo} in use? Stop that node or set IPFS_API_URL.`,
      );
      await nats?.proc.stop();
      process.exit(1);
    });
const ipfsApiUrl = process.env.IPFS_API_URL ?? kubo?.url;

/** A path relative to where the command was typed when it is below it, else absolute. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

// The gateway serves the console at /console/ from its build; a fresh clone has none yet.
if (!existsSync(resolve(root, 'packages/console/dist/index.html'))) {
  console.log('building the web console (packages/console) once, for /console/');
  const build = spawnSync('npm', ['run', '-s', 'build', '-w', '@media-vault/console'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) console.error('the console did not build: /console/ answers 503');
}

const children = new Map<string, ChildProcess>();
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    const exits = [...children.values()].map(
      (child) =>
        new Promise<void>((done) =>
          child.exitCode !== null ? done() : child.once('exit', () => done()),
        ),
    );
    for (const child of children.values()) child.kill('SIGTERM');
    await Promise.all(exits);
    await kubo?.stop();
    await nats?.proc.stop();
  }
  process.exit(code);
}

for (const service of services) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(root, 'services', service.name, 'src/main.ts')],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        NATS_URL: natsUrl,
        NATS_CREDS: await issueCreds(dataDir, service.identity),
        DATA_DIR: dataDir,
        ...(ipfsApiUrl ? { IPFS_API_URL: ipfsApiUrl } : {}),
        ...service.env,
      },
    },
  );
  children.set(service.name, child);
  child.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${service.name} exited (${signal ?? code}); stopping the platform`);
    void stopAll(1);
  });
}

const gatewayUrl = `http://localhost:${process.env.PORT ?? DEV_PORTS.gateway}`;
console.log(`platform starting: gateway on ${gatewayUrl}`);
process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

/**
 * "Ready" is said only when the gateway's /readyz is: NATS connected and every service it routes
 * to serving its commands. Said earlier, the first requests would get 503 "no service answers".
 */
async function announceWhenReady(): Promise<void> {
  const deadline = Date.now() + 180_000;
  let last = '';
  while (!stopping && Date.now() < deadline) {
    try {
      const res = await fetch(`${gatewayUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) {
        console.log(
          `platform ready: gateway on ${gatewayUrl}, docs at /docs; watch events with: ` +
            `nats sub 'events.>' --server ${natsUrl} --creds ${shortPath(observerCreds)}`,
        );
        return;
      }
      last = JSON.stringify(((await res.json()) as { failures?: string[] }).failures ?? []);
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  if (!stopping) console.error(`the platform is not ready after 180 s: ${last}`);
}
void announceWhenReady();
