import { asc, desc, eq, and } from 'drizzle-orm';
import type { Db } from '../db/access.js';
import { auditEntries, sources, type AuditEntryRow, type SourceRow } from '../db/schema.js';

export type NewAuditEntry = typeof auditEntries.$inferInsert;

/**
 * Locks the source row for one append, so the appends to a source's log run one at a time and
 * each reads the head the previous one wrote. `NO KEY UPDATE`, not `UPDATE`: a grant or download
 * inserted in the same transaction already holds the row's key-share lock (its foreign key), and
 * two such transactions each asking `UPDATE` would wait for each other.
 */
export async function lockSourceForAppend(
  db: Db,
  sourceId: number,
): Promise<SourceRow | undefined> {
  const [source] = await db
    .select()
    .from(sources)
    .where(eq(sources.id, sourceId))
    .for('no key update');
  return source;
}

export async function findAuditEntry(
  db: Db,
  sourceId: number,
  entryId: string,
): Promise<AuditEntryRow | undefined> {
  const [row] = await db
    .select()
    .from(auditEntries)
    .where(and(eq(auditEntries.sourceId, sourceId), eq(auditEntries.entryId, entryId)));
  return row;
}

/** The head of a source's chain, or undefined while its log is empty. */
export async function lastAuditEntry(db: Db, sourceId: number): Promise<AuditEntryRow | undefined> {
  const [row] = await db
    .select()
    .from(auditEntries)
    .where(eq(auditEntries.sourceId, sourceId))
    .orderBy(desc(auditEntries.seq))
    .limit(1);
  return row;
}

export async function insertAuditEntry(db: Db, values: NewAuditEntry): Promise<AuditEntryRow> {
  const [row] = await db.insert(auditEntries).values(values).returning();
  return row!;
}

export async function listAuditEntries(db: Db, sourceId: number): Promise<AuditEntryRow[]> {
  return db
    .select()
    .from(auditEntries)
    .where(eq(auditEntries.sourceId, sourceId))
    .orderBy(asc(auditEntries.seq));
}
