import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const repoRoot = resolve(import.meta.dirname, '../../../..');

// Small copies of the test harness's helpers: importing it would type-check its Node-only sources
// against the browser library this package is checked with.
const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
      if ((err as Error).message === 'npm run dev exited') break;
    }
    await sleep(1000);
  }
  throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
}

/** Where the console sends people to sign in; no such host exists, the test answers for it. */
export const ISSUER_SIGN_IN_URL = 'https://id.example/sign-in';

export interface Platform {
  readonly url: string;
  /** A scratch directory removed with the platform. */
  readonly dir: string;
  token(user: string, roles: number[]): Promise<string>;
  /** The last lines of the platform's output, for a failure message. */
  logTail(): Promise<string>;
  stop(): Promise<void>;
}

// What a developer's `npm run dev` would read from their shell; the test brings its own.
const inherited = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const name of [
    'JWT_SECRET',
    'NATS_URL',
    'IPFS_API_URL',
    'DATABASE_URL',
    'PORT',
    'DATA_DIR',
  ]) {
    delete env[name];
  }
  return env;
};

const run = async (command: string, args: string[]): Promise<string> => {
  const child = spawn(command, args, { cwd: repoRoot, env: inherited(), stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code}): ${err}${out}`);
  return out;
};

/** A development token, as `npm run token` prints it. */
const token = async (user: string, roles: number[]): Promise<string> => {
  const out = await run('npm', [
    'run',
    '-s',
    'token',
    '--',
    '--user',
    user,
    '--roles',
    roles.join(','),
    '--ttl',
    '1h',
  ]);
  return out.trim().split('\n').at(-1)!;
};

/**
 * The whole platform the way `npm run dev` starts it, on ports of its own with a fresh data
 * directory, so a developer's running platform is left alone. Chunks are small (64 KiB), so an
 * upload of a short mp3 has several and can be interrupted half way.
 */
export async function startPlatform(): Promise<Platform> {
  const dir = await mkdtemp(join(tmpdir(), 'media-vault-console-'));
  const port = await freePort();
  const log = join(dir, 'dev.log');
  const output = createWriteStream(log);
  const child: ChildProcess = spawn('npm', ['run', 'dev'], {
    cwd: repoRoot,
    detached: true, // its own process group: stopping it stops npm, tsx and every service
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...inherited(),
      DATA_DIR: join(dir, 'data'),
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DEV_NATS_PORT: String(await freePort()),
      DEV_KUBO_PORT: String(await freePort()),
      DEV_HEALTH_PORT: String(await freePort()),
      ASSET_CHUNK_SIZE: String(64 * 1024),
      ASSET_MAX_SIZE: String(64 * 1024 * 1024),
      // The issuer's sign-in page; the browser test stands in for it (page.route).
      CONSOLE_SIGN_IN_URL: ISSUER_SIGN_IN_URL,
    },
  });
  child.stdout?.pipe(output);
  child.stderr?.pipe(output);
  const url = `http://127.0.0.1:${port}`;
  const logTail = async () =>
    (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(-40).join('\n');
  const groupAlive = (pid: number) => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const stop = async () => {
    const pid = child.pid;
    if (pid && groupAlive(pid)) {
      process.kill(-pid, 'SIGTERM');
      // npm may exit before the services it started: wait for the whole group, then insist.
      const deadline = Date.now() + 30_000;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(200);
      if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    }
    output.end();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
  };
  try {
    const root = await token('console-root', [1]);
    // Ready: the gateway reached NATS, and the tasks and assets services answer commands.
    await waitFor(
      'the platform to answer',
      async () => {
        if (child.exitCode !== null) throw new Error('npm run dev exited');
        const headers = { token: root };
        const ready = await fetch(`${url}/readyz`);
        const agents = await fetch(`${url}/api/v1/agents/`, { headers });
        const assets = await fetch(`${url}/api/v1/assets/audio`, { headers });
        return ready.ok && agents.ok && assets.ok;
      },
      180_000,
    );
  } catch (err) {
    const tail = await logTail();
    await stop();
    throw new Error(`${(err as Error).message}; the platform's log:\n${tail}`);
  }
  return { url, dir, token, logTail, stop };
}

/**
 * A platform already running (CONSOLE_TEST_URL, started with the same chunk settings), for working
 * on the journeys without starting one per run; it is left running.
 */
export async function attachPlatform(url: string): Promise<Platform> {
  const dir = await mkdtemp(join(tmpdir(), 'media-vault-console-'));
  return {
    url,
    dir,
    token,
    logTail: async () => '',
    stop: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Builds the console the gateway serves (a second or two). */
export const buildConsole = () => run('npm', ['run', '-s', 'build', '-w', '@media-vault/console']);
