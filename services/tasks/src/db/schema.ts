import type { SignedGrant, SignedRevocation } from '@media-vault/contracts';
import { idempotencyKeysTable, outboxTable } from '@media-vault/service-kit';
import { sql } from 'drizzle-orm';
import {
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/**
 * Everything the tasks service stores, its outbox and drizzle's migrations table live in the
 * `tasks` Postgres schema, so it can share one database with the other services.
 */
export const tasksSchema = pgSchema('tasks');

export const outbox = outboxTable(tasksSchema);
export const idempotencyKeys = idempotencyKeysTable(tasksSchema);

/** ipfs-worker instances registered by their user; the keys are what sealing and release use. */
export const agents = tasksSchema.table(
  'agents',
  {
    id: text().primaryKey(),
    userId: text().notNull(),
    name: text().notNull().default(''),
    peerId: text().notNull(),
    publicKey: text().notNull(),
    signingKey: text().notNull(),
    /** The owner key the agent obeys (raw Ed25519, base64url); '' when it named none. */
    ownerKey: text().notNull().default(''),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('agents_user_id_idx').on(t.userId)],
);

export type AgentRow = typeof agents.$inferSelect;

const createdAt = () => timestamp({ withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp({ withTimezone: true }).notNull().defaultNow();
const statusColumn = () => smallint().notNull().default(0);
const percentColumn = () => smallint().notNull().default(0);

/** What an upload or private task reports about its block (the seed's `ip`…`hash`), and when. */
const blockReportColumns = () => ({
  ip: text().notNull().default(''),
  file: text().notNull().default(''),
  name: text().notNull().default(''),
  size: doublePrecision().notNull().default(0),
  hash: text().notNull().default(''),
  /** Why the task is at 9, as its reporter said; empty otherwise. */
  reason: text().notNull().default(''),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** The status and percent checks every task table carries. */
const taskChecks = (table: string, t: { status: unknown; percent: unknown }) => [
  check(`${table}_status_check`, sql`${t.status} between 0 and 9`),
  check(`${table}_percent_check`, sql`${t.percent} between 0 and 100`),
];

/** A film master: created with its upload task; its public block is reported on that task. */
export const sources = tasksSchema.table(
  'sources',
  {
    id: serial().primaryKey(),
    userId: text().notNull(),
    seriesId: integer().notNull(),
    uuid: text().notNull(),
    sourceName: text().notNull(),
    /** Where the sealing agent finds the master, relative to its ingest root. */
    ingestPath: text(),
    /** The agent a seal job was sent to; its vault holds the private block to release. */
    sealedBy: text(),
    createdAt: createdAt(),
    /** Set once the source is deleted: it is 404 from then on; its tasks stay as history. */
    deletedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('sources_user_id_idx').on(t.userId)],
);

/** The public-block upload of a source; exactly one per source. */
export const uploadTasks = tasksSchema.table(
  'upload_tasks',
  {
    id: serial().primaryKey(),
    sourceId: integer()
      .notNull()
      .unique()
      .references(() => sources.id),
    userId: text().notNull(),
    status: statusColumn(),
    percent: percentColumn(),
    ...blockReportColumns(),
  },
  (t) => [index('upload_tasks_user_id_idx').on(t.userId), ...taskChecks('upload_tasks', t)],
);

/** A user's download of a source; `private_*` mirror the private upload task opened for it. */
export const downloadTasks = tasksSchema.table(
  'download_tasks',
  {
    id: serial().primaryKey(),
    sourceId: integer()
      .notNull()
      .references(() => sources.id),
    userId: text().notNull(),
    /** The downloader's agent that a fetch job went to; null when the client downloads itself. */
    agent: text(),
    status: statusColumn(),
    percent: percentColumn(),
    privateStatus: statusColumn(),
    privateName: text().notNull().default(''),
    privateSize: doublePrecision().notNull().default(0),
    privateHash: text().notNull().default(''),
    /** Why the download is at 9, as its reporter said; empty otherwise. */
    reason: text().notNull().default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // One unfinished download per user and source, however many requests race to create it.
    uniqueIndex('download_tasks_open_idx')
      .on(t.userId, t.sourceId)
      .where(sql`${t.status} not in (8, 9)`),
    index('download_tasks_source_id_idx').on(t.sourceId),
    // A user's downloads, newest first (GET /api/v1/tasks/).
    index('download_tasks_user_id_idx').on(t.userId, t.id),
    ...taskChecks('download_tasks', t),
  ],
);

/** The owner's upload of a source's private block for one download task. */
export const privateTasks = tasksSchema.table(
  'private_tasks',
  {
    id: serial().primaryKey(),
    downloadId: integer()
      .notNull()
      .unique()
      .references(() => downloadTasks.id),
    sourceId: integer()
      .notNull()
      .references(() => sources.id),
    userId: text().notNull(),
    status: statusColumn(),
    percent: percentColumn(),
    ...blockReportColumns(),
  },
  (t) => [index('private_tasks_user_id_idx').on(t.userId), ...taskChecks('private_tasks', t)],
);

/** One row per (source, user): re-granting updates the window, revoking stamps `revoked_at`. */
export const grants = tasksSchema.table(
  'grants',
  {
    id: serial().primaryKey(),
    sourceId: integer()
      .notNull()
      .references(() => sources.id),
    userId: text().notNull(),
    grantedBy: text().notNull(),
    notBefore: timestamp({ withTimezone: true }),
    notAfter: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
    /** The owner-signed statements, kept as received: agents verify them, the platform cannot. */
    signedGrant: jsonb().$type<SignedGrant>(),
    signedRevocation: jsonb().$type<SignedRevocation>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('grants_source_user_idx').on(t.sourceId, t.userId)],
);

/**
 * The audit log of each source, one hash-chained entry per row (docs/sealed-format.md, "Audit
 * log"). Rows are only ever inserted: no command updates or deletes one. Every field the chain
 * hashes is kept as it was signed (`at` as its text), so an entry read back hashes the same.
 */
export const auditEntries = tasksSchema.table(
  'audit_entries',
  {
    id: serial().primaryKey(),
    sourceId: integer()
      .notNull()
      .references(() => sources.id),
    seq: integer().notNull(),
    /** Unique within the source: appending it again returns this row. */
    entryId: text().notNull(),
    sourceUuid: text().notNull(),
    kind: text().notNull(),
    at: text().notNull(),
    actorUserId: text().notNull(),
    actorAgent: text(),
    data: jsonb().$type<Record<string, unknown>>().notNull(),
    prevHash: text().notNull(),
    hash: text().notNull(),
    /** The signing agent, its raw Ed25519 key and the signature; null on the platform's entries. */
    signatureAgent: text(),
    signingKey: text(),
    signature: text(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('audit_entries_source_seq_idx').on(t.sourceId, t.seq),
    uniqueIndex('audit_entries_source_entry_idx').on(t.sourceId, t.entryId),
    check('audit_entries_seq_check', sql`${t.seq} >= 1`),
  ],
);

export type SourceRow = typeof sources.$inferSelect;
export type UploadTaskRow = typeof uploadTasks.$inferSelect;
export type DownloadTaskRow = typeof downloadTasks.$inferSelect;
export type PrivateTaskRow = typeof privateTasks.$inferSelect;
export type GrantRow = typeof grants.$inferSelect;
export type AuditEntryRow = typeof auditEntries.$inferSelect;
