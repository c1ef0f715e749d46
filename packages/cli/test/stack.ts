import {
  connectAs,
  createDatabase,
  freePort,
  makeTempDir,
  natsCreds,
  natsEnv,
  principalSigningEnv,
  principalVerifyEnv,
  readSubject,
  startNats,
  startService,
  uniqueName,
  waitFor,
  type StartedProcess,
} from '@media-vault/test-harness';
import type { NatsConnection } from '@nats-io/transport-node';
import { SignJWT } from 'jose';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const vaultBin = fileURLToPath(new URL('../bin/vault.js', import.meta.url));

export interface VaultRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningVault {
  readonly child: ChildProcess;
  /** What it printed so far. */
  readonly stderr: () => string;
  readonly done: Promise<VaultRun>;
}

export interface HttpReply<T = unknown> {
  readonly status: number;
  readonly data: T;
  readonly message: string;
}

/**
 * A gateway and a tasks service, each its own process exactly as `npm run dev` starts them, on a
 * nats-server of their own and a fresh Postgres database: the CLI is run against them as a child
 * process, like a user would.
 */
export interface VaultStack {
  readonly apiUrl: string;
  /** The tasks service's database, for tests that play a hostile database administrator. */
  readonly databaseUrl: string;
  readonly natsUrl: string;
  readonly nc: NatsConnection;
  token(sub: string, roles?: number[]): Promise<string>;
  /** A JSON call to the gateway as `token`'s user (the owner PATCHing its tasks, say). */
  call<T = unknown>(
    method: string,
    path: string,
    token: string,
    body?: object,
  ): Promise<HttpReply<T>>;
  /** Starts `vault args…` with VAULT_API and NATS_URL set to this stack (env may override). */
  vault(args: readonly string[], env?: Record<string, string>): RunningVault;
  /** The records of the status events on `filter` so far (e.g. `events.tasks.upload.*`). */
  records<T = Record<string, unknown>>(filter: string): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startVaultStack(label: string, postgresUrl: string): Promise<VaultStack> {
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const nats = await startNats();
    stops.push(() => nats.stop());
    const nc = await connectAs(nats);
    stops.push(() => nc.close());
    const databaseUrl = await createDatabase(postgresUrl, uniqueName(label));
    const tasks: StartedProcess = await startService({
      service: 'tasks',
      env: {
        ...(await natsEnv(nats, { kind: 'tasks' })),
        ...principalVerifyEnv(),
        DATABASE_URL: databaseUrl,
      },
      readyWhen: /serving commands/,
    });
    stops.push(() => tasks.stop());
    const secret = `cli-${randomUUID()}`;
    const port = await freePort();
    const gateway = await startService({
      service: 'gateway',
      env: {
        ...(await natsEnv(nats, { kind: 'gateway' })),
        ...principalSigningEnv(),
        PORT: String(port),
        HOST: '127.0.0.1',
        JWT_SECRET: secret,
      },
      readyWhen: /Server listening at/,
    });
    stops.push(() => gateway.stop());
    const apiUrl = `http://127.0.0.1:${port}`;
    const observerCreds = await natsCreds(nats, { kind: 'observer' });
    const home = await makeTempDir(`${label}-home`);
    stops.push(() => home.remove());

    const running = new Set<ChildProcess>();
    stops.push(async () => {
      for (const child of running) child.kill('SIGKILL');
    });

    return {
      apiUrl,
      databaseUrl,
      natsUrl: nats.url,
      nc,
      token: (sub, roles = []) =>
        new SignJWT({ name: `user ${sub}`, roles })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setSubject(sub)
          .setIssuedAt()
          .setExpirationTime('10m')
          .sign(new TextEncoder().encode(secret)),
      async call<T>(method: string, path: string, token: string, body?: object) {
        const res = await fetch(`${apiUrl}/api/v1${path}`, {
          method,
          headers: { Token: token, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        const reply = (await res.json()) as { data: T; message: string };
        return { status: res.status, data: reply.data, message: reply.message };
      },
      vault(args, env = {}) {
        const child = spawn(process.execPath, [vaultBin, ...args], {
          cwd: repoRoot,
          // Only what a user's shell would have: no VAULT_* or NATS_* leaking in from outside.
          env: {
            PATH: process.env.PATH,
            HOME: home.path,
            VAULT_API: apiUrl,
            NATS_URL: nats.url,
            NATS_CREDS: observerCreds,
            ...env,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        running.add(child);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
        child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
        const done = new Promise<VaultRun>((resolve) =>
          child.once('close', (code) => {
            running.delete(child);
            resolve({ code, stdout, stderr });
          }),
        );
        return { child, stderr: () => stderr, done };
      },
      async records<T>(filter: string) {
        const messages = await readSubject(nc, filter);
        return messages.map((m) => (m.json() as { record: T }).record);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Waits until `probe` finds something, with the CLI's output so far in the failure message. */
export const waitUntil = <T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
) => waitFor(what, probe, { timeoutMs, intervalMs: 100 });
