import { asc, eq } from 'drizzle-orm';
import type { Db, ReadOptions } from '../db/access.js';
import { agents, type AgentRow } from '../db/schema.js';

export type NewAgent = typeof agents.$inferInsert;
export type AgentChange = Partial<
  Pick<NewAgent, 'name' | 'peerId' | 'publicKey' | 'signingKey' | 'ownerKey'>
>;

/** Inserts the agent unless its id is taken; undefined when it is. */
export async function insertAgent(db: Db, values: NewAgent): Promise<AgentRow | undefined> {
  const [inserted] = await db
    .insert(agents)
    .values(values)
    .onConflictDoNothing({ target: agents.id })
    .returning();
  return inserted;
}

/** Any registered agent, whoever it belongs to: the sealer of a source may be someone else's. */
export async function findAgent(
  db: Db,
  id: string,
  { lock = false }: ReadOptions = {},
): Promise<AgentRow | undefined> {
  const query = db.select().from(agents).where(eq(agents.id, id));
  return (await (lock ? query.for('update') : query))[0];
}

export async function updateAgent(db: Db, id: string, change: AgentChange): Promise<AgentRow> {
  const [updated] = await db
    .update(agents)
    .set({ ...change, updatedAt: new Date() })
    .where(eq(agents.id, id))
    .returning();
  return updated!;
}

/** A user's agents, oldest first. */
export async function listAgentsOfUser(db: Db, userId: string): Promise<AgentRow[]> {
  return db
    .select()
    .from(agents)
    .where(eq(agents.userId, userId))
    .orderBy(asc(agents.createdAt), asc(agents.id));
}
