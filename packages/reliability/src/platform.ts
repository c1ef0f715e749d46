import type { NatsIdentity } from '@media-vault/contracts';
import { ensureStreams } from '@media-vault/nats-admin';
import { generatePrincipalKeyPair } from '@media-vault/service-kit';
import { freePort, makeTempDir, startKubo, type StartedKubo } from '@media-vault/test-harness';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { inheritedEnv } from './config.js';
import { startNatsCluster, type NatsCluster } from './nats-cluster.js';
import type { NetworkNamespace } from './netns.js';
import { startPostgresServer, type PostgresServer } from './postgres-server.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * The assets service's orphan chunk sweep, shortened so that a run can wait for it: a chunk object
 * no row names is deleted once this old. Still longer than a commit can be on its way (the
 * gateway's COMMAND_TIMEOUT_MS, 10 s), which the grace exists to protect.
 */
export const ORPHAN_SWEEP = { graceMs: 30_000, everyMs: 5_000 } as const;

export const SERVICES = ['tasks', 'assets', 'ipfs-worker', 'media-worker', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Where a replica runs when not on the host's loopback: inside a network namespace. */
export interface Placement {
  readonly netns: NetworkNamespace;
  /** Settings that name the servers by the addresses the namespace reaches them on. */
  readonly env: Record<string, string>;
}

/** One process of a service: started, killed and started again by the run. */
export class Replica {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private placement: Placement | undefined;

  constructor(
    readonly service: ServiceName | 'agent',
    readonly index: number,
    private readonly env: Record<string, string>,
    private readonly log: WriteStream,
    /** The gateway's HTTP port (gateways only). */
    readonly port?: number,
    /** Its name in the logs and the report; `<service>-<n>` unless given. */
    private readonly label?: string,
  ) {}

  get name(): string {
    return this.label ?? `${this.service}-${this.index + 1}`;
  }

  /** Where the next `start` runs it: in a namespace, or (undefined) on the host again. */
  place(placement: Placement | undefined): void {
    this.placement = placement;
  }

  get pid(): number | undefined {
    return this.running() ? this.child?.pid : undefined;
  }

  running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /**
   * Starts the process and resolves once its /readyz answers 200 (the gateway's needs the tasks
   * and assets services; a worker's, its consumers); a failure names its last output.
   */
  async start(timeoutMs = 90_000): Promise<void> {
    return this.startOnce(timeoutMs);
  }

  private async startOnce(timeoutMs: number): Promise<void> {
    const args = ['--import', 'tsx', join('services', this.service, 'src/main.ts')];
    const [command, argv] = this.placement
      ? this.placement.netns.wrap(process.execPath, args)
      : [process.execPath, args];
    // `ip netns exec` execs the command in place: the child's pid is the service's own.
    const child = spawn(command, argv, {
      cwd: repoRoot,
      env: { ...inheritedEnv(), ...this.env, ...this.placement?.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((done) => child.once('exit', () => done()));
    const tail: string[] = [];
    const onData = (buf: Buffer) => {
      this.log.write(buf);
      for (const line of buf.toString('utf8').split('\n')) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const port = this.service === 'gateway' ? this.port : Number(this.env.HEALTH_PORT);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running()) {
        throw new Error(
          `${this.name} exited (${child.signalCode ?? child.exitCode}) before ready:\n${tail.join('\n')}`,
        );
      }
      const host = this.placement?.netns.insideHost ?? '127.0.0.1';
      const ready = await fetch(`http://${host}:${port}/readyz`, {
        signal: AbortSignal.timeout(2_000),
      })
        .then((res) => res.ok)
        .catch(() => false);
      if (ready) return;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${this.name} not ready in ${timeoutMs} ms:\n${tail.join('\n')}`);
      }
      await new Promise((done) => setTimeout(done, 200));
    }
  }

  async kill9(): Promise<void> {
    if (!this.running()) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then waits for the process to finish its shutdown (SIGKILL after 30 s). */
  async stop(): Promise<{ ms: number; code: number | null }> {
    const started = Date.now();
    if (!this.running()) return { ms: 0, code: this.child?.exitCode ?? null };
    this.child!.kill('SIGTERM');
    const killer = setTimeout(() => this.child?.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(killer);
    return { ms: Date.now() - started, code: this.child!.exitCode };
  }
}

export interface PlatformOptions {
  /** Where the servers keep their files and the processes write their logs. */
  readonly dir: string;
  readonly replicas?: number;
  readonly natsNodes?: number;
  /** Bytes per audio chunk (small, so that a short mp3 has several). */
  readonly chunkSize?: number;
  readonly logLevel?: string;
}

export interface Platform {
  readonly nats: NatsCluster;
  readonly postgres: PostgresServer;
  /** The platform's Kubo node; `restartKubo` replaces it. */
  kubo(): StartedKubo;
  restartKubo(): Promise<void>;
  readonly databaseUrl: string;
  readonly jwtSecret: string;
  readonly replicas: Readonly<Record<ServiceName, readonly Replica[]>>;
  readonly gatewayUrls: readonly string[];
  /** The run's directory (logs under logs/). */
  readonly dir: string;
  /** Stops `stop` with the platform (before the servers), e.g. for agents a run started. */
  adopt(stop: () => Promise<unknown>): void;
  /** A log file for a process the run starts beside the services. */
  logFile(name: string): WriteStream;
  /** Creds for a NATS user of the platform's operator (e.g. an agent). */
  creds(identity: NatsIdentity): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The platform as production runs it, only smaller: a NATS cluster with every stream and bucket
 * on three replicas, one Postgres (tasks and assets in their own schemas), Kubo, and `replicas`
 * processes of every service, each its own NATS user as in a deployment.
 */
export async function startPlatform(opts: PlatformOptions): Promise<Platform> {
  const replicaCount = opts.replicas ?? 2;
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    await mkdir(join(opts.dir, 'logs'), { recursive: true });
    const nats = await startNatsCluster(join(opts.dir, 'nats'), opts.natsNodes ?? 3);
    stops.push(() => nats.stop());
    // A directory of its own: under root the cluster runs as `postgres`, which may not enter
    // the run's directory (temp dirs are their owner's only).
    const pgDir = await makeTempDir('chaos-pg');
    stops.push(() => pgDir.remove());
    const pg = await startPostgresServer(pgDir.path);
    stops.push(() => pg.stop());
    const kuboOptions = {
      repoDir: join(opts.dir, 'kubo'),
      apiPort: await freePort(),
      swarmPort: await freePort(),
    };
    let kubo = await startKubo(kuboOptions);
    stops.push(() => kubo.stop());

    const admin = await nats.connect();
    await ensureStreams(admin, { replicas: Math.min(3, nats.nodes.length) });
    await admin.close();

    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    await sql.unsafe('CREATE DATABASE vault');
    await sql.end();
    const databaseUrl = pg.url.replace(/\/postgres$/, '/vault');

    const keys = generatePrincipalKeyPair();
    const jwtSecret = `reliability-${keys.publicKey.slice(0, 16)}`;
    const common = {
      NATS_URL: nats.url,
      STREAM_REPLICAS: String(Math.min(3, nats.nodes.length)),
      // Replicas do not share a disk, as in a cluster: staging on the R3 JetStream object store.
      OBJECT_STORE: 'nats',
      LOG_LEVEL: opts.logLevel ?? 'info',
      // Not a terminal, but say so: the logs are files.
      NO_COLOR: '1',
    };
    const envOf = async (service: ServiceName, index: number): Promise<Record<string, string>> => {
      const identity: NatsIdentity = { kind: service };
      const base = {
        ...common,
        NATS_CREDS: await nats.creds(identity),
        HEALTH_PORT: String(await freePort()),
        DATA_DIR: join(opts.dir, 'data', `${service}-${index + 1}`),
      };
      switch (service) {
        case 'tasks':
          return { ...base, DATABASE_URL: databaseUrl, PRINCIPAL_KEYS: keys.publicKey };
        case 'assets':
          return {
            ...base,
            DATABASE_URL: databaseUrl,
            PRINCIPAL_KEYS: keys.publicKey,
            ASSET_CHUNK_SIZE: String(opts.chunkSize ?? 65_536),
            ASSET_MAX_SIZE: String((opts.chunkSize ?? 65_536) * 10_000),
            ORPHAN_CHUNK_GRACE_MINUTES: String(ORPHAN_SWEEP.graceMs / 60_000),
            DRAFT_SWEEP_SECONDS: String(ORPHAN_SWEEP.everyMs / 1000),
          };
        case 'ipfs-worker':
          return { ...base, IPFS_API_URL: kubo.apiUrl };
        case 'media-worker':
          return { ...base, TMP_DIR: join(opts.dir, 'data', `${service}-${index + 1}-tmp`) };
        case 'gateway':
          return {
            ...base,
            HOST: '127.0.0.1',
            JWT_SECRET: jwtSecret,
            PRINCIPAL_SIGNING_KEY: keys.signingKey,
            IPFS_API_URL: kubo.apiUrl,
            // As deployed behind a balancer: on SIGTERM, serve on while clients move away.
            SHUTDOWN_DRAIN_MS: '5000',
          };
      }
    };
    const replicas = {} as Record<ServiceName, Replica[]>;
    for (const service of SERVICES) {
      replicas[service] = [];
      for (let i = 0; i < replicaCount; i++) {
        const env = await envOf(service, i);
        const port = service === 'gateway' ? await freePort() : undefined;
        if (port) env.PORT = String(port);
        const log = createWriteStream(join(opts.dir, 'logs', `${service}-${i + 1}.log`), {
          flags: 'a',
        });
        replicas[service].push(new Replica(service, i, env, log, port));
      }
    }
    stops.push(async () => {
      for (const service of [...SERVICES].reverse()) {
        await Promise.all(replicas[service].map((r) => r.stop()));
      }
    });
    // The owning services first (their migrations), the workers, then the gateways.
    for (const service of SERVICES) {
      await Promise.all(replicas[service].map((r) => r.start()));
    }
    return {
      nats,
      postgres: pg,
      kubo: () => kubo,
      async restartKubo() {
        await kubo.stop();
        kubo = await startKubo(kuboOptions);
      },
      databaseUrl,
      jwtSecret,
      replicas,
      gatewayUrls: replicas.gateway.map((r) => `http://127.0.0.1:${r.port}`),
      dir: opts.dir,
      adopt: (stop) => void stops.push(stop),
      logFile: (name) => createWriteStream(join(opts.dir, 'logs', `${name}.log`), { flags: 'a' }),
      creds: (identity) => nats.creds(identity),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
