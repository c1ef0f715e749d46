import type { TasksDatabase } from './index.js';

/** A database or an open transaction: queries run inside the caller's transaction when given one. */
export type Db = Pick<TasksDatabase, 'select' | 'insert' | 'update'>;

export interface ReadOptions {
  /** Lock the row (`FOR UPDATE`) so concurrent changes to it apply one after the other. */
  readonly lock?: boolean;
}

/** Postgres unique_violation, whichever driver raised it and however drizzle wrapped it. */
export const isUniqueViolation = (err: unknown): boolean => {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
};
