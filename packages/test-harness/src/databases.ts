import { describe, inject } from 'vitest';
import { createDatabase } from './postgres.js';
import { uniqueName } from './servers.js';
import { makeTempDir } from './temp-dir.js';
import './vitest-context.js';

export type DatabaseDriver = 'postgres' | 'pglite';

/** One database of a test's own, on either backend. */
export interface TestDatabase {
  readonly driver: DatabaseDriver;
  /** A fresh database on the run's Postgres cluster; undefined on PGlite. */
  readonly url: string | undefined;
  /** A fresh temp dir: where PGlite keeps its files, and a service's DATA_DIR on either backend. */
  readonly dir: string;
  /** A service's database settings for this database. */
  readonly env: { readonly DATABASE_URL?: string; readonly DATA_DIR: string };
  /** Removes the temp dir (Postgres databases go with the cluster at the end of the run). */
  remove(): Promise<void>;
}

export interface DatabaseBackend {
  readonly driver: DatabaseDriver;
  /** A new, empty database on this backend; `label` names it, for reading the server's logs. */
  create(label: string): Promise<TestDatabase>;
}

async function create(driver: DatabaseDriver, label: string): Promise<TestDatabase> {
  const serverUrl = inject('servers').postgresUrl;
  if (driver === 'postgres' && !serverUrl) {
    throw new Error(
      'this test run started no Postgres server (globalSetupFor({ postgres: true }))',
    );
  }
  const url =
    driver === 'postgres'
      ? await createDatabase(
          serverUrl!,
          uniqueName(label.toLowerCase().replace(/[^a-z0-9_]/g, '_')),
        )
      : undefined;
  const dir = await makeTempDir(`${label}-${driver}`);
  return {
    driver,
    url,
    dir: dir.path,
    env: { ...(url ? { DATABASE_URL: url } : {}), DATA_DIR: dir.path },
    remove: dir.remove,
  };
}

/** One backend, for a test that needs one in particular. */
export const databaseBackend = (driver: DatabaseDriver): DatabaseBackend => ({
  driver,
  create: (label) => create(driver, label),
});

export const databaseBackends: readonly DatabaseBackend[] = [
  databaseBackend('postgres'),
  databaseBackend('pglite'),
];

/**
 * Runs a suite once on real Postgres and once on PGlite, the two databases a service runs on.
 * `name` may say `$driver`; the suite opens its databases with `create` (in `beforeAll`).
 */
export function describeOnDatabases(name: string, suite: (backend: DatabaseBackend) => void): void {
  describe.each(databaseBackends)(name, (backend) => suite(backend));
}
