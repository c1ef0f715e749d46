import { TaskStatus } from '@media-vault/contracts';
import { and, asc, desc, eq, ne, notInArray } from 'drizzle-orm';
import type { Db, ReadOptions } from '../db/access.js';
import { downloadTasks, type DownloadTaskRow } from '../db/schema.js';

export type NewDownloadTask = typeof downloadTasks.$inferInsert;
export type DownloadTaskChange = Partial<
  Pick<
    DownloadTaskRow,
    | 'status'
    | 'percent'
    | 'reason'
    | 'privateStatus'
    | 'privateName'
    | 'privateSize'
    | 'privateHash'
  >
>;

const FINISHED = [TaskStatus.done, TaskStatus.error];

export async function insertDownloadTask(
  db: Db,
  values: NewDownloadTask,
): Promise<DownloadTaskRow> {
  const [download] = await db.insert(downloadTasks).values(values).returning();
  return download!;
}

export async function findDownloadTask(
  db: Db,
  id: number,
  { lock = false }: ReadOptions = {},
): Promise<DownloadTaskRow | undefined> {
  const query = db.select().from(downloadTasks).where(eq(downloadTasks.id, id));
  return (await (lock ? query.for('update') : query))[0];
}

/** The user's unfinished download of the source, other than `except`, if there is one. */
export async function findOpenDownload(
  db: Db,
  userId: string,
  sourceId: number,
  except?: number,
): Promise<DownloadTaskRow | undefined> {
  const rows = await db
    .select()
    .from(downloadTasks)
    .where(
      and(
        eq(downloadTasks.userId, userId),
        eq(downloadTasks.sourceId, sourceId),
        notInArray(downloadTasks.status, FINISHED),
        except === undefined ? undefined : ne(downloadTasks.id, except),
      ),
    );
  return rows[0];
}

export async function updateDownloadTask(
  db: Db,
  id: number,
  change: DownloadTaskChange,
): Promise<DownloadTaskRow> {
  const [download] = await db
    .update(downloadTasks)
    .set({ ...change, updatedAt: new Date() })
    .where(eq(downloadTasks.id, id))
    .returning();
  return download!;
}

/** Every download of the source, oldest first, each row locked. */
export async function listDownloadTasksOfSource(
  db: Db,
  sourceId: number,
): Promise<DownloadTaskRow[]> {
  return db
    .select()
    .from(downloadTasks)
    .where(eq(downloadTasks.sourceId, sourceId))
    .orderBy(asc(downloadTasks.id))
    .for('update');
}

/** A user's downloads, newest first. */
export async function listDownloadTasksOfUser(
  db: Db,
  userId: string,
  limit: number,
): Promise<DownloadTaskRow[]> {
  return db
    .select()
    .from(downloadTasks)
    .where(eq(downloadTasks.userId, userId))
    .orderBy(desc(downloadTasks.id))
    .limit(limit);
}
