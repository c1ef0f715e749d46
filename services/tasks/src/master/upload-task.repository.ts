import { desc, eq, inArray } from 'drizzle-orm';
import type { Db, ReadOptions } from '../db/access.js';
import { uploadTasks, type UploadTaskRow } from '../db/schema.js';
import type { BlockReport } from './block-report.rules.js';

export type NewUploadTask = typeof uploadTasks.$inferInsert;

export async function insertUploadTask(db: Db, values: NewUploadTask): Promise<UploadTaskRow> {
  const [upload] = await db.insert(uploadTasks).values(values).returning();
  return upload!;
}

export async function findUploadTask(
  db: Db,
  id: number,
  { lock = false }: ReadOptions = {},
): Promise<UploadTaskRow | undefined> {
  const query = db.select().from(uploadTasks).where(eq(uploadTasks.id, id));
  return (await (lock ? query.for('update') : query))[0];
}

/** The one upload task every source has. */
export async function findUploadTaskOfSource(
  db: Db,
  sourceId: number,
): Promise<UploadTaskRow | undefined> {
  return (await db.select().from(uploadTasks).where(eq(uploadTasks.sourceId, sourceId)))[0];
}

/** The upload tasks of these sources (one each). */
export async function findUploadTasksOfSources(
  db: Db,
  sourceIds: readonly number[],
): Promise<UploadTaskRow[]> {
  if (sourceIds.length === 0) return [];
  return db
    .select()
    .from(uploadTasks)
    .where(inArray(uploadTasks.sourceId, [...sourceIds]));
}

/** A user's uploads, newest first. */
export async function listUploadTasksOfUser(
  db: Db,
  userId: string,
  limit: number,
): Promise<UploadTaskRow[]> {
  return db
    .select()
    .from(uploadTasks)
    .where(eq(uploadTasks.userId, userId))
    .orderBy(desc(uploadTasks.id))
    .limit(limit);
}

export async function updateUploadTask(
  db: Db,
  id: number,
  change: BlockReport,
): Promise<UploadTaskRow> {
  const [upload] = await db
    .update(uploadTasks)
    .set({ ...change, updatedAt: new Date() })
    .where(eq(uploadTasks.id, id))
    .returning();
  return upload!;
}
