import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { installHints, requireBinary } from './binaries.js';
import { startProcess } from './child-process.js';
import { freePort } from './free-port.js';
import { makeTempDir } from './temp-dir.js';

const run = promisify(execFile);

export interface StartedPostgres {
  /** Superuser URL of the `postgres` database; create one database per test with createDatabase. */
  readonly url: string;
  readonly version: string;
  /** The cluster's files and socket; removed on stop. */
  readonly dir: string;
  stop(): Promise<void>;
}

/**
 * Postgres refuses to run as root, so under root the cluster runs as the unprivileged `postgres`
 * user. The server is spawned directly with that uid (not through su/runuser) so that stop
 * signals reach it.
 */
async function serviceUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export async function startPostgres(): Promise<StartedPostgres> {
  const initdb = requireBinary('initdb', installHints.postgres);
  const postgres = requireBinary('postgres', installHints.postgres);
  const dir = await makeTempDir('pg');
  const dataDir = join(dir.path, 'data');
  const user = await serviceUser();
  if (user) await run('chown', ['-R', `${user.uid}:${user.gid}`, dir.path]);

  await run(
    initdb,
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync'],
    { ...user, cwd: dir.path },
  );
  // fsync off: test clusters are thrown away, and it makes DDL-heavy suites several times faster.
  await writeFile(
    join(dataDir, 'postgresql.auto.conf'),
    'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 300\n',
    { flag: 'a' },
  );
  if (user) await run('chown', ['-R', `${user.uid}:${user.gid}`, dataDir]);

  const port = await freePort();
  const proc = await startProcess({
    command: postgres,
    args: ['-D', dataDir, '-p', String(port), '-h', '127.0.0.1', '-k', dir.path],
    cwd: dir.path,
    ...user,
    label: 'postgres',
    readyWhen: /database system is ready to accept connections/,
  });
  const { stdout } = await run(postgres, ['--version']);
  const version = stdout.trim();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  process.stderr.write(`${version} ready at ${url}\n`);
  return {
    url,
    version,
    dir: dir.path,
    async stop() {
      // SIGINT is Postgres' "fast" shutdown: no waiting for clients that tests forgot to close.
      await proc.stop('SIGINT');
      await dir.remove();
    },
  };
}

/** A fresh database on the cluster, so every test file gets tables of its own. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
