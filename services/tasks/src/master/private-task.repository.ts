import { asc, eq } from 'drizzle-orm';
import type { Db, ReadOptions } from '../db/access.js';
import { privateTasks, type PrivateTaskRow } from '../db/schema.js';
import type { BlockReport } from './block-report.rules.js';

export type NewPrivateTask = typeof privateTasks.$inferInsert;

export async function insertPrivateTask(db: Db, values: NewPrivateTask): Promise<PrivateTaskRow> {
  const [privateTask] = await db.insert(privateTasks).values(values).returning();
  return privateTask!;
}

export async function findPrivateTask(
  db: Db,
  id: number,
  { lock = false }: ReadOptions = {},
): Promise<PrivateTaskRow | undefined> {
  const query = db.select().from(privateTasks).where(eq(privateTasks.id, id));
  return (await (lock ? query.for('update') : query))[0];
}

/** The private upload opened with a download task; exactly one per download. */
export async function findPrivateTaskOfDownload(
  db: Db,
  downloadId: number,
): Promise<PrivateTaskRow | undefined> {
  return (await db.select().from(privateTasks).where(eq(privateTasks.downloadId, downloadId)))[0];
}

/** Every private upload a user owes, oldest first, whatever its status. */
export async function listPrivateTasksOfUser(db: Db, userId: string): Promise<PrivateTaskRow[]> {
  return db
    .select()
    .from(privateTasks)
    .where(eq(privateTasks.userId, userId))
    .orderBy(asc(privateTasks.id));
}

/** Every private task of the source, oldest first, each row locked. */
export async function listPrivateTasksOfSource(
  db: Db,
  sourceId: number,
): Promise<PrivateTaskRow[]> {
  return db
    .select()
    .from(privateTasks)
    .where(eq(privateTasks.sourceId, sourceId))
    .orderBy(asc(privateTasks.id))
    .for('update');
}

export async function updatePrivateTask(
  db: Db,
  id: number,
  change: BlockReport,
): Promise<PrivateTaskRow> {
  const [privateTask] = await db
    .update(privateTasks)
    .set({ ...change, updatedAt: new Date() })
    .where(eq(privateTasks.id, id))
    .returning();
  return privateTask!;
}
