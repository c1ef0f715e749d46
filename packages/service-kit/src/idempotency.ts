import { VaultError } from '@media-vault/contracts';
import { and, eq, getTableName, is } from 'drizzle-orm';
import { jsonb, PgTable, primaryKey, text, timestamp, type PgSchema } from 'drizzle-orm/pg-core';
import { createHash } from 'node:crypto';
import type { Database } from './database-type.js';

/**
 * Keys clients send with a create (`Idempotency-Key`), each with the reply the create gave. A
 * create whose reply was lost (a replica killed, a NATS node gone, a time-out) is sent again with
 * the same key and gets that reply instead of making a second task or asset.
 *
 * Every service that takes keys declares `idempotencyKeys = idempotencyKeysTable(itsPgSchema)` in
 * its drizzle schema (under that key) and migrations, beside its outbox.
 */
export const idempotencyKeysTable = (schema: PgSchema) =>
  schema.table(
    'idempotency_keys',
    {
      userId: text().notNull(),
      key: text().notNull(),
      /** sha256 of the command's subject and request, the key left out. */
      requestDigest: text().notNull(),
      reply: jsonb().notNull(),
      createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    },
    // Per user: one user's key says nothing about another's, and cannot shadow it.
    (t) => [primaryKey({ columns: [t.userId, t.key] })],
  );

export type IdempotencyKeysTable = ReturnType<typeof idempotencyKeysTable>;

function idempotencyKeysOf(schema: Record<string, unknown>): IdempotencyKeysTable {
  const table = schema.idempotencyKeys;
  if (!is(table, PgTable) || getTableName(table) !== 'idempotency_keys') {
    throw new Error(
      'the drizzle schema has no `idempotencyKeys` table (declare it with idempotencyKeysTable)',
    );
  }
  return table as IdempotencyKeysTable;
}

/** JSON with its object keys sorted, so that the same request always digests alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(typeof value === 'bigint' ? String(value) : value) ?? 'null';
}

export const requestDigestOf = (subject: string, request: object): string =>
  createHash('sha256').update(subject).update('\0').update(canonical(request)).digest('hex');

/** A transaction of a service's database: drizzle keeps the schema it was opened with in `_`. */
type Tx = Pick<Database<Record<string, unknown>>, 'insert' | 'select' | 'update' | '_'>;

export interface IdempotentCall {
  readonly userId: string;
  /** The client's key; none: the create runs as any other. */
  readonly key: string | undefined;
  readonly subject: string;
  /** The command's request without its key. */
  readonly request: object;
}

/**
 * Runs `create` inside the caller's transaction (pass the `tx`) once per (user, key): the first
 * call claims the key, runs, and stores the reply with it; a later call with the same key gets
 * the stored reply, and nothing runs or is emitted again. A call racing the first waits on the
 * key's row until the first commits (then replays) or rolls back (then runs). The same key with
 * another request is refused: the client reused a key by mistake, and replaying the other
 * request's reply would answer a question it did not ask.
 */
export async function runOnce<T extends object>(
  tx: Tx,
  call: IdempotentCall,
  create: () => Promise<T>,
): Promise<T> {
  if (call.key === undefined) return create();
  const table = idempotencyKeysOf(tx._.fullSchema);
  const requestDigest = requestDigestOf(call.subject, call.request);
  // The row is claimed before the create runs, with a placeholder reply: its lock is what makes
  // a concurrent retry wait instead of creating beside it.
  const claimed = await tx
    .insert(table)
    .values({ userId: call.userId, key: call.key, requestDigest, reply: {} })
    .onConflictDoNothing()
    .returning({ key: table.key });
  if (claimed.length === 0) {
    const [held] = await tx
      .select({ requestDigest: table.requestDigest, reply: table.reply })
      .from(table)
      .where(and(eq(table.userId, call.userId), eq(table.key, call.key)));
    if (held === undefined) {
      // Claimed and released again between the two statements (its create rolled back): the
      // client may simply send it once more.
      throw new VaultError('conflict', 'Idempotency-Key: a request with this key is in progress');
    }
    if (held.requestDigest !== requestDigest) {
      throw new VaultError(
        'conflict',
        'Idempotency-Key: this key was already used for a different request',
      );
    }
    return held.reply as T;
  }
  const reply = await create();
  await tx
    .update(table)
    .set({ reply: JSON.parse(JSON.stringify(reply)) as object })
    .where(and(eq(table.userId, call.userId), eq(table.key, call.key)));
  return reply;
}
