import type { TaskStatus } from '@media-vault/contracts';
import {
  connectAs,
  createDatabase,
  freePort,
  natsAccess,
  natsEnv,
  principalSigningEnv,
  principalVerifyEnv,
  startService,
  uniqueName,
  waitFor,
  type NatsAccess,
  type ServerUrls,
  type StartedProcess,
} from '@media-vault/test-harness';
import type { NatsConnection } from '@nats-io/transport-node';
import { SignJWT } from 'jose';
import { startAgentService, type AgentService } from '../../src/agent-service.js';
import { loadAgentConfig } from '../../src/config.js';

const JWT_SECRET = 'sealed-pipeline-test-secret-of-enough-length';

export interface Reply<T = unknown> {
  readonly status: number;
  readonly body: { data: T; message: string };
}

/** Everything around the agents: tasks (Postgres) and the gateway. */
export interface Platform {
  readonly gatewayUrl: string;
  readonly nc: NatsConnection;
  readonly nats: NatsAccess;
  readonly kuboApiUrl: string;
  /** A token for `user`; roles [1] make it root. */
  token(user: string, roles?: number[]): Promise<string>;
  call<T = Record<string, unknown>>(
    token: string,
    method: string,
    path: string,
    body?: Record<string, unknown>,
  ): Promise<Reply<T>>;
  /** Waits until a task's reads show one of `statuses`, and returns it. */
  waitForStatus(
    token: string,
    path: string,
    statuses: readonly TaskStatus[],
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  /** The platform's own IPFS node; default the one the global set-up started. */
  readonly kuboApiUrl?: string;
  /** Runs the ipfs-worker too, which pins the sealed blocks agents add on their nodes. */
  readonly ipfsWorker?: boolean;
}

export async function startPlatform(
  servers: ServerUrls,
  opts: PlatformOptions = {},
): Promise<Platform> {
  const nats = natsAccess(servers);
  const kuboApiUrl = opts.kuboApiUrl ?? servers.kuboApiUrl!;
  const started: StartedProcess[] = [];
  const nc = await connectAs(nats);
  const port = await freePort();
  const gatewayUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await Promise.allSettled(started.reverse().map((p) => p.stop()));
    await nc.drain().catch(() => undefined);
  };
  try {
    const databaseUrl = await createDatabase(servers.postgresUrl!, uniqueName('tasks'));
    started.push(
      await startService({
        service: 'tasks',
        env: {
          ...(await natsEnv(nats, { kind: 'tasks' })),
          ...principalVerifyEnv(),
          DATABASE_URL: databaseUrl,
        },
        readyWhen: /health endpoints listening/,
      }),
    );
    started.push(
      await startService({
        service: 'gateway',
        env: {
          ...(await natsEnv(nats, { kind: 'gateway' })),
          ...principalSigningEnv(),
          PORT: String(port),
          HOST: '127.0.0.1',
          JWT_SECRET,
          IPFS_API_URL: kuboApiUrl,
        },
        readyWhen: /Server listening/,
      }),
    );
    if (opts.ipfsWorker) {
      started.push(
        await startService({
          service: 'ipfs-worker',
          env: {
            ...(await natsEnv(nats, { kind: 'ipfs-worker' })),
            IPFS_API_URL: kuboApiUrl,
            HEALTH_PORT: '0',
            IPFS_FETCH_TIMEOUT_SECONDS: '10',
          },
          readyWhen: /health endpoints listening/,
        }),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const call = async <T>(
    token: string,
    method: string,
    path: string,
    body?: Record<string, unknown>,
  ): Promise<Reply<T>> => {
    const res = await fetch(`${gatewayUrl}/api/v1${path}`, {
      method,
      headers: { Token: token, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Reply<T>['body'] };
  };

  return {
    gatewayUrl,
    nc,
    nats,
    kuboApiUrl,
    token: (user, roles = []) =>
      new SignJWT({ name: `user ${user}`, roles })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(JWT_SECRET)),
    call,
    async waitForStatus(token, path, statuses, timeoutMs = 90_000) {
      return waitFor(
        `${path} to reach status ${statuses.join(' or ')}`,
        async () => {
          const { data } = (await call<Record<string, unknown>>(token, 'GET', path)).body;
          return data && statuses.includes(data.status as TaskStatus) ? data : undefined;
        },
        { timeoutMs, intervalMs: 200 },
      );
    },
    stop,
  };
}

export interface AgentOptions {
  readonly id: string;
  readonly token: string;
  readonly dataDir: string;
  readonly ingestRoot?: string;
  readonly downloadDir?: string;
  readonly segmentSize?: number;
  readonly ackWaitSeconds?: number;
  /** The agent's own IPFS node; default the platform's. */
  readonly ipfsApiUrl?: string;
  readonly fetchTimeoutSeconds?: number;
  readonly fetchAttempts?: number;
}

export async function agentEnv(
  platform: Platform,
  opts: AgentOptions,
): Promise<Record<string, string>> {
  return {
    ...(await natsEnv(platform.nats, { kind: 'agent', agent: opts.id })),
    IPFS_API_URL: opts.ipfsApiUrl ?? platform.kuboApiUrl,
    IPFS_FETCH_TIMEOUT_SECONDS: String(opts.fetchTimeoutSeconds ?? 20),
    ...(opts.fetchAttempts ? { IPFS_FETCH_ATTEMPTS: String(opts.fetchAttempts) } : {}),
    GATEWAY_URL: platform.gatewayUrl,
    HEALTH_PORT: '0',
    DATA_DIR: opts.dataDir,
    AGENT_ID: opts.id,
    AGENT_TOKEN: opts.token,
    SEGMENT_SIZE: String(opts.segmentSize ?? 1_048_576),
    JOB_ACK_WAIT_SECONDS: String(opts.ackWaitSeconds ?? 30),
    PRIVATE_BLOCK_WAIT_SECONDS: '60',
    ...(opts.ingestRoot ? { INGEST_ROOT: opts.ingestRoot } : {}),
    ...(opts.downloadDir ? { DOWNLOAD_DIR: opts.downloadDir } : {}),
  };
}

/** An agent inside the test process. */
export const startAgentInProcess = async (
  platform: Platform,
  opts: AgentOptions,
): Promise<AgentService> =>
  startAgentService(loadAgentConfig({ LOG_LEVEL: 'silent', ...(await agentEnv(platform, opts)) }));

/** An agent as its own process, which a test can kill outright. */
export const startAgentProcess = async (
  platform: Platform,
  opts: AgentOptions,
): Promise<StartedProcess> =>
  startService({
    service: 'agent',
    env: await agentEnv(platform, opts),
    readyWhen: /agent registered/,
    label: `agent ${opts.id}`,
  });
