import { eq, inArray } from 'drizzle-orm';
import type { Db, ReadOptions } from '../db/access.js';
import { sources, type SourceRow } from '../db/schema.js';

export type NewSource = typeof sources.$inferInsert;

export async function insertSource(db: Db, values: NewSource): Promise<SourceRow> {
  const [source] = await db.insert(sources).values(values).returning();
  return source!;
}

export async function findSource(
  db: Db,
  id: number,
  { lock = false }: ReadOptions = {},
): Promise<SourceRow | undefined> {
  const query = db.select().from(sources).where(eq(sources.id, id));
  return (await (lock ? query.for('update') : query))[0];
}

export async function findSources(db: Db, ids: readonly number[]): Promise<SourceRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(sources)
    .where(inArray(sources.id, [...ids]));
}

export async function markSourceDeleted(db: Db, id: number, at: Date): Promise<void> {
  await db.update(sources).set({ deletedAt: at }).where(eq(sources.id, id));
}
