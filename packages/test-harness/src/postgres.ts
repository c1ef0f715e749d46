import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installHints, requireBinary } from './binaries.js';
import { startProcess } from './child-process.js';
import { freePort } from './free-port.js';
import { makeTempDir } from './temp-dir.js';

const run = promisify(execFile);

export interface StartedPostgres {
  /** Superuser URL of the `postgres` database; create one database per test with createDatabase. */
  readonly url: string;
  readonly version: string;
  stop(): Promise<void>;
}

/** Postgres refuses to run as root, so under root the cluster runs as the unprivileged `postgres` user. */
const asServiceUser = async (command: string, args: string[]): Promise<[string, string[]]> => {
  if (process.getuid?.() !== 0) return [command, args];
  return ['runuser', ['-u', 'postgres', '--', command, ...args]];
};

export async function startPostgres(): Promise<StartedPostgres> {
  const initdb = requireBinary('initdb', installHints.postgres);
  const postgres = requireBinary('postgres', installHints.postgres);
  const dir = await makeTempDir('pg');
  const dataDir = join(dir.path, 'data');
  if (process.getuid?.() === 0) await run('chown', ['-R', 'postgres:postgres', dir.path]);

  const [initCmd, initArgs] = await asServiceUser(initdb, [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--no-sync',
  ]);
  await run(initCmd, initArgs);
  // fsync off: test clusters are thrown away, and it makes DDL-heavy suites several times faster.
  await writeFile(
    join(dataDir, 'postgresql.auto.conf'),
    'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 300\n',
    { flag: 'a' },
  );
  if (process.getuid?.() === 0) await run('chown', ['-R', 'postgres:postgres', dataDir]);

  const port = await freePort();
  const [cmd, args] = await asServiceUser(postgres, [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-h',
    '127.0.0.1',
    '-k',
    dir.path,
  ]);
  const proc = await startProcess({
    command: cmd,
    args,
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
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
