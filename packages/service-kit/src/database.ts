import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { mkdir } from 'node:fs/promises';
import pg from 'pg';
import type { Logger } from './logger.js';

/** A drizzle database over either driver; repositories depend on this, not on a driver. */
export type Database<S extends Record<string, unknown>> = PgDatabase<PgQueryResultHKT, S>;

export interface DatabaseOptions<S extends Record<string, unknown>> {
  readonly schema: S;
  /** Postgres URL; when absent the service runs on PGlite stored under `pgliteDir`. */
  readonly url?: string | undefined;
  readonly pgliteDir: string;
  readonly migrationsFolder: string;
  readonly log: Logger;
}

export interface OpenDatabase<S extends Record<string, unknown>> {
  readonly db: Database<S>;
  readonly driver: 'postgres' | 'pglite';
  ping(): Promise<void>;
  close(): Promise<void>;
}

// Any fixed number shared by every replica of every service: only one migrates at a time.
const MIGRATION_LOCK = 7_316_004;

/** Opens the service database and applies its committed drizzle migrations. */
export async function openDatabase<S extends Record<string, unknown>>(
  opts: DatabaseOptions<S>,
): Promise<OpenDatabase<S>> {
  const config = { schema: opts.schema, casing: 'snake_case' as const };
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: 10 });
    pool.on('error', (err) => opts.log.error({ err }, 'idle Postgres client failed'));
    // The advisory lock is per session, so migrations run on the one client that holds it.
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await migratePg(drizzlePg({ client, ...config }), {
        migrationsFolder: opts.migrationsFolder,
      });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
      client.release();
    }
    const db = drizzlePg({ client: pool, ...config });
    opts.log.info('database: Postgres, migrations applied');
    return {
      db: db as unknown as Database<S>,
      driver: 'postgres',
      ping: async () => void (await db.execute(sql`select 1`)),
      close: () => pool.end(),
    };
  }
  await mkdir(opts.pgliteDir, { recursive: true });
  const client = new PGlite(opts.pgliteDir);
  const db = drizzlePglite({ client, ...config });
  await migratePglite(db, { migrationsFolder: opts.migrationsFolder });
  opts.log.info({ dir: opts.pgliteDir }, 'database: PGlite on disk, migrations applied');
  return {
    db: db as unknown as Database<S>,
    driver: 'pglite',
    ping: async () => void (await db.execute(sql`select 1`)),
    close: () => client.close(),
  };
}
