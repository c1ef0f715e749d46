import {
  freePort,
  installHints,
  requireBinary,
  startProcess,
  type StartedProcess,
} from '@media-vault/test-harness';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PostgresServer {
  /** Superuser URL of the `postgres` database. */
  readonly url: string;
  running(): boolean;
  /** Postgres' fast shutdown (SIGINT): clients are disconnected, nothing committed is lost. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
}

/**
 * A Postgres cluster that can be stopped and started again mid-run (the test harness' one is
 * thrown away on stop). Under root it runs as the `postgres` user, as Postgres insists.
 */
export async function startPostgresServer(dir: string): Promise<PostgresServer> {
  const initdb = requireBinary('initdb', installHints.postgres);
  const postgres = requireBinary('postgres', installHints.postgres);
  await mkdir(dir, { recursive: true });
  const dataDir = join(dir, 'data');
  let user: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    user = { uid, gid };
    await run('chown', ['-R', `${uid}:${gid}`, dir]);
  }
  await run(initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8'], {
    ...user,
    cwd: dir,
  });
  // fsync stays on: a restart here must keep what was committed, as in production.
  await writeFile(join(dataDir, 'postgresql.auto.conf'), 'max_connections = 300\n', { flag: 'a' });
  if (user) await run('chown', ['-R', `${user.uid}:${user.gid}`, dataDir]);
  const port = await freePort();
  let proc: StartedProcess | undefined;
  let alive = false;
  const server: PostgresServer = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    running: () => alive,
    async start() {
      proc = await startProcess({
        command: postgres,
        args: ['-D', dataDir, '-p', String(port), '-h', '127.0.0.1', '-k', dir],
        cwd: dir,
        ...user,
        label: 'postgres',
        readyWhen: /database system is ready to accept connections/,
        timeoutMs: 60_000,
      });
      alive = true;
      proc.child.once('exit', () => (alive = false));
    },
    async stop() {
      if (proc && alive) await proc.stop('SIGINT');
    },
  };
  await server.start();
  return server;
}
