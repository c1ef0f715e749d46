import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { asc, getTableName, inArray, is, sql } from 'drizzle-orm';
import {
  bigserial,
  getTableConfig,
  jsonb,
  PgTable,
  text,
  timestamp,
  type PgSchema,
} from 'drizzle-orm/pg-core';
import { randomUUID } from 'node:crypto';
import type { Database } from './database-type.js';
import type { Logger } from './logger.js';

/**
 * The transactional outbox. A service writes its state change and the event row in one
 * transaction; the relay publishes rows to JetStream with the row's `msg_id` as `Nats-Msg-Id`,
 * then deletes them. A crash after publishing and before deleting republishes with the same id,
 * which the stream's duplicate window drops: no event lost, none doubled.
 *
 * Every service that emits events declares `outbox = outboxTable(itsPgSchema)` in its drizzle
 * schema (under that key) and migrations: each service's outbox lives in the service's own
 * Postgres schema, so services can share one database.
 */
export const outboxTable = (schema: PgSchema) =>
  schema.table('outbox', {
    id: bigserial({ mode: 'number' }).primaryKey(),
    msgId: text().notNull().unique(),
    subject: text().notNull(),
    payload: jsonb().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  });

export type OutboxTable = ReturnType<typeof outboxTable>;

/** The outbox table of a service's drizzle schema. */
export function outboxOf(schema: Record<string, unknown>): OutboxTable {
  const table = schema.outbox;
  if (!is(table, PgTable) || getTableName(table) !== 'outbox') {
    throw new Error('the drizzle schema has no `outbox` table (declare it with outboxTable)');
  }
  return table as OutboxTable;
}

export interface OutboxEvent {
  readonly subject: string;
  /** Must carry `id`: it becomes the message id used for de-duplication. */
  readonly payload: { readonly id: string } & Record<string, unknown>;
}

/** A database or transaction: drizzle keeps the schema it was opened with in `_`. */
type Writer = Pick<Database<Record<string, unknown>>, 'insert' | '_'>;

/**
 * Adds events inside the caller's transaction (pass the `tx`). The table is the `outbox` of the
 * schema the database was opened with, so callers never name the service's Postgres schema.
 */
export async function enqueueEvents(tx: Writer, events: readonly OutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx
    .insert(outboxOf(tx._.fullSchema))
    .values(events.map((e) => ({ msgId: e.payload.id, subject: e.subject, payload: e.payload })));
}

export const newEventId = (): string => randomUUID();

export interface OutboxRelayOptions {
  readonly batchSize?: number;
  /** How often to look for rows when nobody called `notify` (other replicas, restarts). */
  readonly pollIntervalMs?: number;
}

export class OutboxRelay {
  private readonly js: JetStreamClient;
  private running = false;
  private wake: (() => void) | undefined;
  /** Set by notify while a batch is in flight, so that wake-up is not lost. */
  private dirty = false;
  private loop: Promise<void> | undefined;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly outbox: OutboxTable;
  /** Names this outbox (its Postgres schema) for the advisory lock its relays take turns with. */
  private readonly lockKey: string;

  constructor(
    private readonly db: Database<Record<string, unknown>>,
    nc: NatsConnection,
    private readonly log: Logger,
    opts: OutboxRelayOptions = {},
  ) {
    this.js = jetstream(nc);
    this.batchSize = opts.batchSize ?? 100;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.outbox = outboxOf(db._.fullSchema);
    this.lockKey = `media-vault-outbox:${getTableConfig(this.outbox).schema ?? 'public'}`;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Called after a commit that enqueued events, so they go out now rather than at the next poll. */
  notify(): void {
    this.dirty = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.notify();
    await this.loop;
  }

  /** Publishes one batch; returns how many rows went out. Exposed for tests and drain-on-stop. */
  async publishBatch(): Promise<number> {
    const outbox = this.outbox;
    return this.db.transaction(async (tx) => {
      // One relay at a time per outbox, rows in id order: events of one subject reach the stream
      // in the order they were committed. Replicas that relayed side by side (SKIP LOCKED) let
      // one publish a task's update while its creation was still in another's batch.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${this.lockKey}))`);
      const rows = await tx
        .select()
        .from(outbox)
        .orderBy(asc(outbox.id))
        .limit(this.batchSize)
        .for('update');
      for (const row of rows) {
        await this.js.publish(row.subject, JSON.stringify(row.payload), { msgID: row.msgId });
      }
      if (rows.length > 0) {
        await tx.delete(outbox).where(
          inArray(
            outbox.id,
            rows.map((r) => r.id),
          ),
        );
      }
      return rows.length;
    });
  }

  async pending(): Promise<number> {
    const outbox = this.outbox;
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(outbox);
    return row?.n ?? 0;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let published = 0;
      this.dirty = false;
      try {
        published = await this.publishBatch();
        failures = 0;
      } catch (err) {
        failures++;
        this.log.warn({ err, failures }, 'outbox relay could not publish; will retry');
      }
      if (published === this.batchSize || (this.dirty && failures === 0)) continue;
      const delay = failures > 0 ? Math.min(30_000, 250 * 2 ** failures) : this.pollIntervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
