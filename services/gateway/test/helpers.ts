export {
  jobCount,
  readJobs,
  readSubject,
  subjectCount as totalCount,
  subjectCounts,
  waitFor,
} from '@media-vault/test-harness';
import {
  connectAs,
  natsEnv,
  principalSigningEnv,
  principalVerifyEnv,
  startNats,
  subjectCount,
  testSigner,
  waitFor,
  type NatsAccess,
} from '@media-vault/test-harness';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import pg from 'pg';
import { databaseBackend, type DatabaseBackend } from '@media-vault/test-harness/databases';
import { expect } from 'vitest';
import { loadGatewayConfig } from '../src/config.js';
import { buildGateway } from '../src/server.js';
import { CommandSubjects, type Principal } from '@media-vault/contracts';
import { sendCommand } from '@media-vault/service-kit';
import type { NatsConnection } from '@nats-io/transport-node';
import { SignJWT } from 'jose';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface TokenOptions {
  readonly sub?: string | undefined;
  readonly name?: string;
  readonly roles?: number[];
  /** Seconds since the epoch, or a jose duration such as '5m'. */
  readonly exp?: number | string;
  readonly secret: string;
}

/** Signs a token the way scripts/token.ts does (HS256, claims sub, name, roles). */
export async function signToken(opts: TokenOptions): Promise<string> {
  let jwt = new SignJWT({ name: opts.name ?? `user ${opts.sub}`, roles: opts.roles ?? [] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m');
  if (opts.sub !== undefined) jwt = jwt.setSubject(opts.sub);
  return jwt.sign(new TextEncoder().encode(opts.secret));
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * Runs the tasks service as its own process, exactly as `npm start` would but on the test
 * servers, and resolves once it answers `svc.tasks.agent.list` on the bus.
 */
export function startTasksProcess(opts: {
  nats: NatsAccess;
  databaseUrl: string;
  nc: NatsConnection;
  probeAs: Principal;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  return startTasksProcessWith({ ...opts, env: { DATABASE_URL: opts.databaseUrl } });
}

/**
 * Like startTasksProcess, with the service's environment given whole: e.g. `DATA_DIR` for PGlite
 * instead of `DATABASE_URL`. Only PATH, HOME and TMPDIR come from the test's own environment, so
 * nothing set there (a DATABASE_URL, say) changes which database the service uses.
 */
export async function startTasksProcessWith(opts: {
  nats: NatsAccess;
  env: Record<string, string>;
  nc: NatsConnection;
  probeAs: Principal;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/tasks/src/main.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      ...(await natsEnv(opts.nats, { kind: 'tasks' })),
      ...principalVerifyEnv(),
      HEALTH_PORT: '0',
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (buf: Buffer) => {
    lines.push(...buf.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const output = () => lines.join('\n');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`tasks service exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    const serving = await sendCommand(
      opts.nc,
      CommandSubjects.agentList,
      {},
      { principal: opts.probeAs, signer: testSigner, timeoutMs: 1_000 },
    ).then(
      () => true,
      // Not serving yet (no responders) or still starting: try again until the deadline.
      () => false,
    );
    if (serving) return { child, output, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`tasks service did not answer svc.tasks.agent.list:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export type BodyEncoding = 'json' | 'form' | 'multipart';
export const BODY_ENCODINGS: readonly BodyEncoding[] = ['json', 'form', 'multipart'];

export interface HttpReply<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export interface CallOptions {
  readonly token?: string;
  /** Request parameters, sent as the body in `encoding` (JSON keeps numbers as numbers). */
  readonly fields?: Record<string, string | number | undefined>;
  readonly encoding?: BodyEncoding;
  readonly headers?: Record<string, string>;
}

/** A body as fetch would send it, with its content type, in any of the three seed encodings. */
async function encodeBody(
  fields: Record<string, string | number | undefined>,
  encoding: BodyEncoding,
): Promise<{ type: string; bytes: Buffer }> {
  const given = Object.entries(fields).filter(
    (e): e is [string, string | number] => e[1] !== undefined,
  );
  let body: string | URLSearchParams | FormData;
  if (encoding === 'json') body = JSON.stringify(Object.fromEntries(given));
  else if (encoding === 'form')
    body = new URLSearchParams(given.map(([k, v]): [string, string] => [k, String(v)]));
  else {
    body = new FormData();
    for (const [k, v] of given) body.append(k, String(v));
  }
  const request = new Request('http://encode.invalid/', { method: 'POST', body });
  const type = encoding === 'json' ? 'application/json' : request.headers.get('content-type')!;
  return { type, bytes: Buffer.from(await request.arrayBuffer()) };
}

/**
 * One HTTP call to the gateway. fetch refuses a body on GET, which the seed's create-download
 * call documents as FormData; such calls go through node:http.
 */
export async function callGateway<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<HttpReply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.token = opts.token;
  let bytes: Buffer | undefined;
  if (opts.fields) {
    const encoded = await encodeBody(opts.fields, opts.encoding ?? 'json');
    headers['content-type'] = encoded.type;
    bytes = encoded.bytes;
  }
  const url = new URL(path, baseUrl);
  let status: number;
  let text: string;
  if (method === 'GET' && bytes) {
    ({ status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        url,
        { method, headers: { ...headers, 'content-length': String(bytes.length) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(bytes);
    }));
  } else {
    const res = await fetch(url, {
      method,
      headers,
      body: bytes ? new Uint8Array(bytes) : undefined,
    });
    status = res.status;
    text = await res.text();
  }
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the raw text is the body.
  }
  return { status, body: body as T };
}

export interface MasterStack {
  readonly url: string;
  readonly nc: NatsConnection;
  /** Postgres stack only: a client on the tasks database, to show that nothing changed. */
  readonly db: pg.Client | undefined;
  readonly tasks: ServiceProcess;
  token(sub: string, roles?: number[]): Promise<string>;
  call<T = unknown>(method: string, path: string, opts?: CallOptions): Promise<HttpReply<T>>;
  /**
   * Resolves once every event written so far is on EVENTS: the relay publishes in order, so a
   * fresh agent registration's event arriving means all before it arrived too.
   */
  flushEvents(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Gateway and tasks service (a child process) on a nats-server of their own, so that their
 * subjects, ids and queue group meet no other test file's; the tasks data in a fresh Postgres
 * database, or in PGlite when that backend is given.
 */
export async function startMasterStack(opts: {
  label: string;
  /** Postgres unless told otherwise. */
  database?: DatabaseBackend;
}): Promise<MasterStack> {
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const nats = await startNats();
    stops.push(() => nats.stop());
    const nc = await connectAs(nats);
    stops.push(() => nc.drain());
    const database = await (opts.database ?? databaseBackend('postgres')).create(opts.label);
    stops.push(() => database.remove());
    const env: Record<string, string> = { ...database.env };
    const db = database.url
      ? new pg.Client({ connectionString: database.url, options: '-c search_path=tasks' })
      : undefined;
    const tasks = await startTasksProcessWith({
      nats,
      env,
      nc,
      probeAs: { id: 'probe', name: 'probe', roles: [] },
    });
    stops.push(() => tasks.stop());
    if (db) {
      await db.connect();
      const client = db;
      stops.push(() => client.end());
    }
    const secret = `master-${randomUUID()}`;
    const gateway = await buildGateway(
      await testGatewayConfig(nats, secret, { COMMAND_TIMEOUT_MS: '10000' }),
    );
    stops.push(() => gateway.close());
    const call = <T>(method: string, path: string, callOpts?: CallOptions) =>
      callGateway<T>(gateway.url, method, path, callOpts);
    const sentinelToken = await signToken({ sub: `sentinel-${opts.label}`, secret });
    let sentinels = 0;
    return {
      url: gateway.url,
      nc,
      db,
      tasks,
      token: (sub, roles = []) => signToken({ sub, name: `user ${sub}`, roles, secret }),
      call,
      async flushEvents() {
        const id = `sentinel-${process.pid}-${++sentinels}-${Date.now().toString(36)}`;
        const res = await call('POST', '/api/v1/agents/', {
          token: sentinelToken,
          fields: {
            id,
            peer_id: '12D3KooWsentinel',
            public_key: Buffer.alloc(32, 1).toString('base64'),
            signing_key: Buffer.alloc(32, 2).toString('base64'),
          },
        });
        if (res.status !== 200) throw new Error(`sentinel registration failed: ${res.status}`);
        await waitFor('the sentinel event', async () =>
          (await subjectCount(nc, `events.tasks.agent.${id}`)) === 1 ? true : undefined,
        );
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A gateway configuration for tests: its own NATS user and the test principal key on `nats`,
 * loopback on a free port, `secret` for tokens, quiet logs; `extra` adds or overrides variables.
 */
export async function testGatewayConfig(
  nats: NatsAccess,
  secret: string,
  extra: Record<string, string> = {},
) {
  return loadGatewayConfig({
    ...(await natsEnv(nats, { kind: 'gateway' })),
    ...principalSigningEnv(),
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: secret,
    LOG_LEVEL: 'silent',
    SHUTDOWN_DRAIN_MS: '0',
    ...extra,
  });
}

/** Seed 000's `created_at`: UTC, `YYYY-MM-DD HH:mm:ss`. */
export const SEED_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** The seed's reply to creating an upload task: status 0 and nothing known of the block yet. */
export const newUploadTaskReply = (fields: {
  series_id: number;
  uuid: string;
  source_name: string;
}) => ({
  data: {
    id: expect.any(Number),
    status: 0,
    percent: 0,
    series_id: fields.series_id,
    source_id: expect.any(Number),
    source_name: fields.source_name,
    uuid: fields.uuid,
    ip: '',
    file: '',
    name: '',
    size: 0,
    hash: '',
    created_at: expect.stringMatching(SEED_TIME),
  },
  message: '',
});
