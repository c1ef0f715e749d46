import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/** A drizzle database over either driver; repositories depend on this, not on a driver. */
export type Database<S extends Record<string, unknown>> = PgDatabase<PgQueryResultHKT, S>;
