import { connectAs, natsAccess, uniqueName } from '@media-vault/test-harness';
import { describeOnDatabases, type TestDatabase } from '@media-vault/test-harness/databases';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, expect, inject, it } from 'vitest';
import { openDatabase, type Database, type OpenDatabase } from '../src/database.js';
import { enqueueEvents, newEventId, OutboxRelay, type OutboxEvent } from '../src/outbox.js';
import { migrationsFolder, outbox } from './fixtures/outbox-schema.js';
import { readSubject, silentLog, subjectCount, waitFor } from './helpers.js';

const servers = inject('servers');

type Db = Database<Record<string, unknown>>;

/** Wraps a database so that, inside transactions, deleting throws: a relay that dies mid-batch. */
const crashBeforeDelete = (db: Db): Db => {
  const bound = <T extends object>(target: T, prop: string | symbol): unknown => {
    const value: unknown = Reflect.get(target, prop);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop !== 'transaction') return bound(target, prop);
      return (fn: (tx: unknown) => Promise<unknown>) =>
        target.transaction((tx) =>
          fn(
            new Proxy(tx, {
              get(t, p) {
                if (p === 'delete') {
                  return () => {
                    throw new Error('crashed before delete');
                  };
                }
                return bound(t, p);
              },
            }),
          ),
        );
    },
  });
};

describeOnDatabases('outbox relay on $driver', (backend) => {
  const { driver } = backend;
  let database: OpenDatabase<Record<string, unknown>>;
  let db: Db;
  let nc: NatsConnection;
  let place: TestDatabase | undefined;
  const prefix = `events.sktest.${uniqueName(driver)}`;
  let n = 0;
  const nextSubject = () => `${prefix}.s${++n}`;
  const event = (subject: string, extra: Record<string, unknown> = {}): OutboxEvent => ({
    subject,
    payload: { id: newEventId(), type: 'test.happened', n: ++n, ...extra },
  });
  const relays: OutboxRelay[] = [];
  const newRelay = (opts?: ConstructorParameters<typeof OutboxRelay>[3], on: Db = db) => {
    const relay = new OutboxRelay(on, nc, silentLog, opts);
    relays.push(relay);
    return relay;
  };

  beforeAll(async () => {
    place = await backend.create('sk_outbox');
    database = await openDatabase<Record<string, unknown>>({
      schema: { outbox },
      url: place.url,
      pgliteDir: place.dir,
      migrationsFolder,
      log: silentLog,
    });
    db = database.db;
    nc = await connectAs(natsAccess(servers));
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await db.delete(outbox);
  });

  afterAll(async () => {
    await nc?.drain();
    await database?.close();
    await place?.remove();
  });

  it(`opened the ${driver} driver and applied the migrations`, () => {
    expect(database.driver).toBe(driver);
  });

  it('publishes rows of a committed transaction with the event id as Nats-Msg-Id, then deletes them', async () => {
    const subject = nextSubject();
    const events = [event(subject), event(subject), event(subject)];
    await db.transaction(async (tx) => {
      await enqueueEvents(tx, events);
    });
    const relay = newRelay();
    expect(await relay.pending()).toBe(3);

    expect(await relay.publishBatch()).toBe(3);

    expect(await relay.pending()).toBe(0);
    const messages = await readSubject(nc, subject);
    expect(messages.map((m) => m.headers?.get('Nats-Msg-Id'))).toEqual(
      events.map((e) => e.payload.id),
    );
    expect(messages.map((m) => m.json())).toEqual(events.map((e) => e.payload));
    expect(messages.map((m) => m.subject)).toEqual([subject, subject, subject]);
    // Nothing left to do: a second batch publishes nothing.
    expect(await relay.publishBatch()).toBe(0);
    expect(await subjectCount(nc, subject)).toBe(3);
  });

  it('enqueueEvents with no events writes nothing', async () => {
    await db.transaction(async (tx) => {
      await enqueueEvents(tx, []);
    });
    expect(await newRelay().pending()).toBe(0);
  });

  it('publishes nothing for a rolled-back transaction', async () => {
    const subject = nextSubject();
    await expect(
      db.transaction(async (tx) => {
        await enqueueEvents(tx, [event(subject)]);
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    const relay = newRelay();

    expect(await relay.pending()).toBe(0);
    expect(await relay.publishBatch()).toBe(0);
    expect(await subjectCount(nc, subject)).toBe(0);
  });

  it('a relay that crashes after publishing but before deleting leaves exactly one message', async () => {
    const subject = nextSubject();
    const e = event(subject);
    await db.transaction(async (tx) => enqueueEvents(tx, [e]));

    await expect(newRelay({}, crashBeforeDelete(db)).publishBatch()).rejects.toThrow(
      'crashed before delete',
    );
    // The publish happened, the delete was rolled back with the transaction.
    expect(await subjectCount(nc, subject)).toBe(1);
    const relay = newRelay();
    expect(await relay.pending()).toBe(1);

    // The next relay republishes the same row; the stream's duplicate window drops it.
    expect(await relay.publishBatch()).toBe(1);
    expect(await relay.pending()).toBe(0);
    const messages = await readSubject(nc, subject);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.headers?.get('Nats-Msg-Id')).toBe(e.payload.id);
  });

  it('a row published earlier under the same msg id is not doubled', async () => {
    const subject = nextSubject();
    const e = event(subject);
    await db.transaction(async (tx) => enqueueEvents(tx, [e]));
    const ack = await jetstream(nc).publish(subject, JSON.stringify(e.payload), {
      msgID: e.payload.id,
    });
    expect(ack.duplicate).toBe(false);

    expect(await newRelay().publishBatch()).toBe(1);

    expect(await subjectCount(nc, subject)).toBe(1);
  });

  it('concurrent relays never publish the same row twice', async () => {
    const subject = nextSubject();
    const events = Array.from({ length: 40 }, () => event(subject));
    await db.transaction(async (tx) => enqueueEvents(tx, events));
    const a = newRelay({ batchSize: 7 });
    const b = newRelay({ batchSize: 7 });

    let published = 0;
    for (;;) {
      const [x, y] = await Promise.all([a.publishBatch(), b.publishBatch()]);
      if (x + y === 0) break;
      published += x + y;
    }

    // Every row was published by exactly one relay, not merely de-duplicated by the stream.
    expect(published).toBe(40);
    expect(await a.pending()).toBe(0);
    // The relays take turns, so the subject's events are in the order they were written.
    const messages = await readSubject(nc, subject);
    expect(messages.map((m) => m.headers?.get('Nats-Msg-Id'))).toEqual(
      events.map((e) => e.payload.id),
    );
  });

  it.runIf(driver === 'postgres')(
    "a relay does not overtake another one's batch: a subject's events stay in order",
    async () => {
      const subject = nextSubject();
      const [first, second] = [event(subject), event(subject)];
      await db.transaction(async (tx) => enqueueEvents(tx, [first]));
      await db.transaction(async (tx) => enqueueEvents(tx, [second]));
      // Another replica's relay holds the first row, its publish not yet done.
      let release: () => void = () => {};
      const released = new Promise<void>((done) => (release = done));
      const holding = db.transaction(async (tx) => {
        await tx.execute(
          sql`select id from ${outbox} where msg_id = ${first.payload.id} for update`,
        );
        await released;
      });
      await new Promise((done) => setTimeout(done, 100));

      const relaying = newRelay().publishBatch();
      try {
        await new Promise((done) => setTimeout(done, 500));
        // The second event must wait for the first.
        expect(await subjectCount(nc, subject)).toBe(0);
      } finally {
        release();
        await holding;
        await relaying;
      }
      await newRelay().publishBatch();
      const messages = await readSubject(nc, subject);
      expect(messages.map((m) => m.headers?.get('Nats-Msg-Id'))).toEqual([
        first.payload.id,
        second.payload.id,
      ]);
    },
  );

  it('a started relay publishes rows waiting at start, and notify() delivers promptly', async () => {
    const subject = nextSubject();
    const before = event(subject);
    await db.transaction(async (tx) => enqueueEvents(tx, [before]));
    // A poll interval far longer than the wait below: only notify() can explain a prompt delivery.
    const relay = newRelay({ pollIntervalMs: 10 * 60_000 });
    relay.start();
    relay.start(); // a second start is a no-op
    await waitFor('the row waiting at start to be published', async () =>
      (await subjectCount(nc, subject)) === 1 && (await relay.pending()) === 0 ? true : undefined,
    );

    // The relay is now asleep for its long poll interval: a new row stays put...
    const after = event(subject);
    await db.transaction(async (tx) => enqueueEvents(tx, [after]));
    expect(await relay.pending()).toBe(1);

    // ...until notify() wakes it.
    const started = Date.now();
    relay.notify();
    await waitFor(
      'the notified row to be published',
      async () => ((await subjectCount(nc, subject)) === 2 ? true : undefined),
      { timeoutMs: 5_000 },
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    await waitFor('the notified row to be deleted', async () =>
      (await relay.pending()) === 0 ? true : undefined,
    );

    const messages = await readSubject(nc, subject);
    expect(messages.map((m) => m.headers?.get('Nats-Msg-Id'))).toEqual([
      before.payload.id,
      after.payload.id,
    ]);

    await relay.stop();
    // Stopped: rows stay in the outbox for the next relay.
    const late = event(subject);
    await db.transaction(async (tx) => enqueueEvents(tx, [late]));
    relay.notify();
    expect(await relay.pending()).toBe(1);
  });

  it('notify() during a batch is not lost', async () => {
    const subject = nextSubject();
    const relay = newRelay({ pollIntervalMs: 10 * 60_000 });
    relay.start();
    // Many enqueue+notify pairs racing the loop: each must be delivered without waiting a poll.
    const events = Array.from({ length: 10 }, () => event(subject));
    for (const e of events) {
      await db.transaction(async (tx) => enqueueEvents(tx, [e]));
      relay.notify();
    }
    await waitFor(
      'all notified rows to be published',
      async () => ((await subjectCount(nc, subject)) === events.length ? true : undefined),
      { timeoutMs: 5_000 },
    );
  });
});
