import { VaultError } from '@media-vault/contracts';
import { eq } from 'drizzle-orm';
import type { TasksDatabase } from '../db/index.js';
import {
  agents,
  downloadTasks,
  privateTasks,
  sources,
  uploadTasks,
  type SourceRow,
} from '../db/schema.js';
import type { DownloadView, PrivateView, UploadView } from './master.mapper.js';

/** A database or an open transaction: reads run inside the caller's transaction when given one. */
export type Db = Pick<TasksDatabase, 'select' | 'insert' | 'update'>;

export interface ReadOptions {
  /** Lock the task row (`FOR UPDATE`) so concurrent reports on it apply one after the other. */
  readonly lock?: boolean;
}

const first = <T>(rows: T[]): T | undefined => rows[0];

/** Rows that must exist once their task does; a missing one is a broken invariant, not a 404. */
const present = <T>(row: T | undefined, what: string): T => {
  if (row === undefined) throw new VaultError('internal', `${what} is missing`);
  return row;
};

export async function findSource(
  db: Db,
  id: number,
  { lock = false }: ReadOptions = {},
): Promise<SourceRow | undefined> {
  const query = db.select().from(sources).where(eq(sources.id, id));
  return first(await (lock ? query.for('update') : query));
}

/** A source already read, with its upload task. */
export async function uploadOfSource(db: Db, source: SourceRow): Promise<UploadView> {
  const upload = present(
    first(await db.select().from(uploadTasks).where(eq(uploadTasks.sourceId, source.id))),
    `upload task of source ${source.id}`,
  );
  return { source, upload };
}

export async function uploadViewOfSource(db: Db, sourceId: number): Promise<UploadView> {
  return uploadOfSource(db, present(await findSource(db, sourceId), `source ${sourceId}`));
}

export async function findUploadView(
  db: Db,
  id: number,
  { lock = false }: ReadOptions = {},
): Promise<UploadView | undefined> {
  const query = db.select().from(uploadTasks).where(eq(uploadTasks.id, id));
  const upload = first(await (lock ? query.for('update') : query));
  if (!upload) return undefined;
  const source = present(await findSource(db, upload.sourceId), `source ${upload.sourceId}`);
  return { source, upload };
}

export async function findDownloadView(
  db: Db,
  id: number,
  { lock = false }: ReadOptions = {},
): Promise<DownloadView | undefined> {
  const query = db.select().from(downloadTasks).where(eq(downloadTasks.id, id));
  const download = first(await (lock ? query.for('update') : query));
  if (!download) return undefined;
  const { source, upload } = await uploadViewOfSource(db, download.sourceId);
  const privateTask = present(
    first(await db.select().from(privateTasks).where(eq(privateTasks.downloadId, download.id))),
    `private task of download task ${download.id}`,
  );
  return { source, upload, download, privateTask };
}

export async function findPrivateView(
  db: Db,
  id: number,
  { lock = false }: ReadOptions = {},
): Promise<PrivateView | undefined> {
  const query = db.select().from(privateTasks).where(eq(privateTasks.id, id));
  const privateTask = first(await (lock ? query.for('update') : query));
  if (!privateTask) return undefined;
  const source = present(
    await findSource(db, privateTask.sourceId),
    `source ${privateTask.sourceId}`,
  );
  return { source, privateTask };
}

/** Any registered agent, whoever it belongs to: the sealer of a source may be someone else's. */
export async function agentById(db: Db, id: string) {
  const [agent] = await db.select().from(agents).where(eq(agents.id, id));
  return agent;
}

/** Postgres unique_violation, whichever driver raised it and however drizzle wrapped it. */
export const isUniqueViolation = (err: unknown): boolean => {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
};
