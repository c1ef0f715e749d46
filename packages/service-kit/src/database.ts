import { PGlite } from '@electric-sql/pglite';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { sql } from 'drizzle-orm';
import { mkdir } from 'node:fs/promises';
import postgres from 'postgres';
import type { Database } from './database-type.js';
import type { Logger } from './logger.js';
import { outboxOf } from './outbox.js';

export type { Database } from './database-type.js';

export interface DatabaseOptions<S extends Record<string, unknown>> {
  /**
   * The service's drizzle schema. Its `outbox` table names the Postgres schema the service owns,
   * and drizzle's migrations table is kept there too, so services can share one database.
   */
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

/** Where drizzle records applied migrations: `__drizzle_migrations` in the service's own schema. */
export function migrationsConfig(
  schema: Record<string, unknown>,
  migrationsFolder: string,
): { migrationsFolder: string; migrationsSchema: string; migrationsTable: string } {
  const owned = getTableConfig(outboxOf(schema)).schema;
  if (!owned) throw new Error('the outbox table must live in the service’s own pgSchema');
  return { migrationsFolder, migrationsSchema: owned, migrationsTable: '__drizzle_migrations' };
}

/** Opens the service database and applies its committed drizzle migrations. */
export async function openDatabase<S extends Record<string, unknown>>(
  opts: DatabaseOptions<S>,
): Promise<OpenDatabase<S>> {
  const config = { schema: opts.schema, casing: 'snake_case' as const };
  const migrations = migrationsConfig(opts.schema, opts.migrationsFolder);
  if (opts.url) {
    await migrateOnPostgres(opts.url, migrations, opts.log);
    const client = postgres(opts.url, { max: 10, onnotice: () => {} });
    const db = drizzlePostgres({ client, ...config });
    opts.log.info(
      { schema: migrations.migrationsSchema },
      'database: Postgres, migrations applied',
    );
    return {
      db: db as unknown as Database<S>,
      driver: 'postgres',
      ping: async () => void (await db.execute(sql`select 1`)),
      close: () => client.end({ timeout: 5 }),
    };
  }
  await mkdir(opts.pgliteDir, { recursive: true });
  const client = new PGlite(opts.pgliteDir);
  const db = drizzlePglite({ client, ...config });
  await migratePglite(db, migrations);
  opts.log.info({ dir: opts.pgliteDir }, 'database: PGlite on disk, migrations applied');
  return {
    db: db as unknown as Database<S>,
    driver: 'pglite',
    ping: async () => void (await db.execute(sql`select 1`)),
    close: () => client.close(),
  };
}

/**
 * The advisory lock belongs to a session, so migrations run on a client of exactly one
 * connection that takes the lock first; replicas starting together wait for each other.
 */
async function migrateOnPostgres(
  url: string,
  migrations: ReturnType<typeof migrationsConfig>,
  log: Logger,
): Promise<void> {
  // Notices such as "schema already exists, skipping" are expected on every start after the first.
  const client = postgres(url, { max: 1, onnotice: (n) => log.debug({ notice: n.message }) });
  try {
    await client`SELECT pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await migratePostgres(drizzlePostgres({ client, casing: 'snake_case' }), migrations);
    } finally {
      await client`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}
