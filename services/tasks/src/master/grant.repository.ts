import { and, asc, eq } from 'drizzle-orm';
import type { Db, ReadOptions } from '../db/access.js';
import { grants, type GrantRow } from '../db/schema.js';

export type NewGrant = typeof grants.$inferInsert;
export type GrantChange = Partial<
  Pick<
    GrantRow,
    | 'notBefore'
    | 'notAfter'
    | 'revokedAt'
    | 'grantedBy'
    | 'updatedAt'
    | 'signedGrant'
    | 'signedRevocation'
  >
>;

export async function findGrant(
  db: Db,
  sourceId: number,
  userId: string,
  { lock = false }: ReadOptions = {},
): Promise<GrantRow | undefined> {
  const query = db
    .select()
    .from(grants)
    .where(and(eq(grants.sourceId, sourceId), eq(grants.userId, userId)));
  return (await (lock ? query.for('update') : query))[0];
}

/** Inserts the grant unless the user already has a row for the source; undefined when it does. */
export async function insertGrant(db: Db, values: NewGrant): Promise<GrantRow | undefined> {
  const [inserted] = await db
    .insert(grants)
    .values(values)
    .onConflictDoNothing({ target: [grants.sourceId, grants.userId] })
    .returning();
  return inserted;
}

export async function updateGrant(db: Db, id: number, change: GrantChange): Promise<GrantRow> {
  const [updated] = await db
    .update(grants)
    .set({ updatedAt: new Date(), ...change })
    .where(eq(grants.id, id))
    .returning();
  return updated!;
}

export async function listGrantsOfSource(db: Db, sourceId: number): Promise<GrantRow[]> {
  return db.select().from(grants).where(eq(grants.sourceId, sourceId)).orderBy(asc(grants.id));
}
