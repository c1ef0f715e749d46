import { AssetBuckets, Streams } from '@media-vault/contracts';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import postgres from 'postgres';

export interface StoredEvent {
  readonly seq: number;
  readonly subject: string;
  readonly id: string;
  readonly status?: unknown;
  readonly previous_status?: unknown;
}

/** Every message of the EVENTS stream, first to last, read with an ordered consumer. */
export async function readAllEvents(nc: NatsConnection): Promise<StoredEvent[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(Streams.events.name);
  const last = info.state.last_seq;
  const events: StoredEvent[] = [];
  if (info.state.messages === 0) return events;
  const consumer = await jetstream(nc).consumers.get(Streams.events.name);
  const messages = await consumer.consume({ max_messages: 500 });
  for await (const m of messages) {
    const body = m.json<Record<string, unknown>>();
    events.push({
      seq: m.seq,
      subject: m.subject,
      id: String(body.id),
      ...('status' in body ? { status: body.status, previous_status: body.previous_status } : {}),
    });
    if (m.seq >= last) break;
  }
  await messages.close();
  return events;
}

/** What the EVENTS stream says when read whole. */
export interface EventFindings {
  readonly events: number;
  /** Event ids seen more than once (each a doubled event). */
  readonly doubled: number;
  /**
   * Status events whose `previous_status` is not the status of the event before them on their
   * subject, or a first event that has one: each is at least one event missing in between.
   */
  readonly chainBreaks: number;
  readonly samples: string[];
}

export function checkEvents(events: readonly StoredEvent[]): EventFindings {
  const seen = new Set<string>();
  const lastStatus = new Map<string, unknown>();
  let doubled = 0;
  let chainBreaks = 0;
  const samples: string[] = [];
  for (const e of events) {
    if (seen.has(e.id)) {
      doubled++;
      if (samples.length < 10) samples.push(`doubled ${e.id} on ${e.subject} (seq ${e.seq})`);
    }
    seen.add(e.id);
    if (!('status' in e)) continue;
    const before = lastStatus.has(e.subject) ? lastStatus.get(e.subject) : null;
    if (e.previous_status !== before) {
      chainBreaks++;
      if (samples.length < 10) {
        samples.push(
          `${e.subject} seq ${e.seq}: previous_status ${String(e.previous_status)}, the event before said ${String(before)}`,
        );
      }
    }
    lastStatus.set(e.subject, e.status);
  }
  return { events: events.length, doubled, chainBreaks, samples };
}

/**
 * Waits for the assets service's orphan sweep to have run over every chunk object no row names:
 * until none is left, or until the youngest of them is `graceMs + 2 × everyMs` old (past the
 * grace, and a whole sweep interval besides). What is still there then is counted by
 * `checkState`: an object no sweep removes is an inconsistency, not something to wait out.
 * Returns how many such objects there were at first and how many went.
 */
export async function untilOrphanChunksSwept(
  nc: NatsConnection,
  databaseUrl: string,
  sweep: { readonly graceMs: number; readonly everyMs: number },
): Promise<{ before: number; swept: number }> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const unrecorded = async () => {
      const rows = await sql.unsafe<{ object: string }[]>('SELECT object FROM assets.audio_chunks');
      const named = new Set(rows.map((r) => r.object));
      const store = await new Objm(nc).open(AssetBuckets.chunks);
      return (await store.list()).filter((i) => !i.deleted && !named.has(i.name));
    };
    const first = await unrecorded();
    let left = first;
    while (left.length > 0) {
      const youngest = Math.max(...left.map((i) => new Date(i.mtime).getTime()));
      if (Date.now() > youngest + sweep.graceMs + 2 * sweep.everyMs) break;
      await new Promise((done) => setTimeout(done, 1_000));
      left = await unrecorded();
    }
    return { before: first.length, swept: first.length - left.length };
  } finally {
    await sql.end();
  }
}

export interface StateFindings {
  /** Rows whose last event is missing or names another status than the row has. */
  readonly rowsWithoutTheirEvent: number;
  /** Tasks of flows the clients completed that are not at 8, assets not POST. */
  readonly flowRowsNotFinal: number;
  /** Rows in a non-final status that no client was told about (a create whose reply was lost). */
  readonly orphanRowsNotFinal: number;
  /** Assets stuck in MERGING. */
  readonly merging: number;
  /** Chunk rows whose object is not in the bucket, and objects no row names. */
  readonly chunkRowsWithoutObject: number;
  readonly chunkObjectsWithoutRow: number;
  /** Outbox rows not yet published, and JOBS messages not yet consumed. */
  readonly outboxPending: number;
  readonly jobsPending: number;
  readonly samples: string[];
}

const TASK_TABLES = [
  ['upload_tasks', 'upload'],
  ['download_tasks', 'download'],
  ['private_tasks', 'private'],
] as const;

/**
 * Compares the databases with the stream once the platform is quiet: every task and asset's
 * last event must carry the status the row has, flows the clients completed must be final, and
 * the chunk bucket and the chunk rows must name each other.
 */
export async function checkState(
  nc: NatsConnection,
  databaseUrl: string,
  events: readonly StoredEvent[],
  known: { readonly tasks: ReadonlySet<string>; readonly assets: ReadonlySet<string> },
): Promise<StateFindings> {
  const last = new Map<string, unknown>();
  for (const e of events) if ('status' in e) last.set(e.subject, e.status);
  const samples: string[] = [];
  const note = (line: string) => samples.length < 20 && samples.push(line);
  let rowsWithoutTheirEvent = 0;
  let flowRowsNotFinal = 0;
  let orphanRowsNotFinal = 0;
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    for (const [table, kind] of TASK_TABLES) {
      const rows = await sql.unsafe<{ id: string; status: number }[]>(
        `SELECT id::text AS id, status FROM tasks.${table}`,
      );
      for (const row of rows) {
        const subject = `events.tasks.${kind}.${row.id}`;
        if (last.get(subject) !== row.status) {
          rowsWithoutTheirEvent++;
          note(
            `${kind} task ${row.id} is ${row.status}, its last event says ${String(last.get(subject))}`,
          );
        }
        if (row.status === 8 || row.status === 9) continue;
        if (known.tasks.has(`${kind}:${row.id}`)) {
          flowRowsNotFinal++;
          note(`${kind} task ${row.id} of a completed flow is at ${row.status}`);
        } else {
          orphanRowsNotFinal++;
        }
      }
    }
    const assets = await sql.unsafe<{ id: string; status: string }[]>(
      'SELECT id::text AS id, status FROM assets.audio_assets',
    );
    let merging = 0;
    for (const row of assets) {
      const subject = `events.assets.audio.${row.id}`;
      if (last.get(subject) !== row.status) {
        rowsWithoutTheirEvent++;
        note(`asset ${row.id} is ${row.status}, its last event says ${String(last.get(subject))}`);
      }
      if (row.status === 'MERGING') merging++;
      if (row.status === 'POST') continue;
      if (known.assets.has(row.id)) {
        flowRowsNotFinal++;
        note(`asset ${row.id} of a completed flow is ${row.status}`);
      } else if (row.status === 'DRAFT' || row.status === 'MERGING') {
        orphanRowsNotFinal++;
      }
    }
    const chunkRows = await sql.unsafe<{ object: string }[]>(
      'SELECT object FROM assets.audio_chunks',
    );
    const objects = new Set<string>();
    const store = await new Objm(nc).open(AssetBuckets.chunks);
    for (const info of await store.list()) if (!info.deleted) objects.add(info.name);
    const named = new Set(chunkRows.map((r) => r.object));
    const chunkRowsWithoutObject = chunkRows.filter((r) => !objects.has(r.object)).length;
    const chunkObjectsWithoutRow = [...objects].filter((o) => !named.has(o)).length;
    const outbox = await sql.unsafe<{ n: number }[]>(
      'SELECT (SELECT count(*) FROM tasks.outbox)::int + (SELECT count(*) FROM assets.outbox)::int AS n',
    );
    const jobs = await (await jetstreamManager(nc)).streams.info(Streams.jobs.name);
    return {
      rowsWithoutTheirEvent,
      flowRowsNotFinal,
      orphanRowsNotFinal,
      merging,
      chunkRowsWithoutObject,
      chunkObjectsWithoutRow,
      outboxPending: outbox[0]!.n,
      jobsPending: jobs.state.messages,
      samples,
    };
  } finally {
    await sql.end();
  }
}
