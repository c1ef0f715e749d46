import {
  MasterEventTypes,
  TaskEventSubjects,
  Streams,
  type MasterTaskKind,
  natsPermissions,
} from '@media-vault/contracts';
import { DeliverPolicy, jetstream, jetstreamManager, type StoredMsg } from '@nats-io/jetstream';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskApiError, type GatewayEvent } from '@media-vault/task-client';
import { viewOfRecord, type RecordOf, type TaskView } from './task-view.js';

/** What to follow: tasks of one kind, how to recognise their events, and how to poll them. */
export interface WatchPlan<K extends MasterTaskKind = MasterTaskKind> {
  readonly kind: K;
  /** The tasks followed from the start. */
  readonly ids: readonly number[];
  /** Also report tasks of the kind that appear later (when `accept` takes their events). */
  readonly follow: boolean;
  /**
   * When the earliest task was created (server time), or now when following only new tasks:
   * where a subscription to the kind's whole subject space starts replaying.
   */
  readonly since: Date;
  /**
   * Whether an event is about a task this watch follows: the same uuid or creation time, so a
   * stream that outlived a database (task ids counted from 1 again) cannot feed us a stranger's
   * history; when following, also whose task it is.
   */
  accept(record: RecordOf<K>): boolean;
  /** The tasks' current state over HTTP, for when events cannot be had. */
  poll(): Promise<TaskView[]>;
}

export interface TaskUpdate {
  readonly view: TaskView;
  /**
   * False while older events are replayed: only the latest state of a task counts, so that a
   * replayed 9 that was retried later is not taken for the end.
   */
  readonly current: boolean;
}

export interface NatsOptions {
  readonly natsUrl: string;
  readonly natsCreds?: string | undefined;
  readonly connectTimeoutMs?: number;
}

export interface WatchOptions extends NatsOptions {
  /** Ends the watch quietly: the command's deadline or Ctrl-C. */
  readonly signal: AbortSignal;
  /**
   * The caller's own events through the gateway (`TaskClient.openEvents`): what a user without
   * NATS credentials follows. Used when `natsCreds` is not set.
   */
  readonly openEvents?: (signal: AbortSignal) => Promise<AsyncIterable<GatewayEvent>>;
  /** Told once why events were given up for polling. */
  readonly onFallback: (message: string) => void;
  readonly pollIntervalMs?: number;
}

/** More subjects than this are watched through the kind's wildcard instead of one filter each. */
const MAX_FILTER_SUBJECTS = 64;
/** Slack for clocks: the stream stamps messages with nats-server's clock, records the service's. */
const CLOCK_SLACK_MS = 60_000;
/** Polling gives up after this many failed polls in a row (at one a second: half a minute). */
const MAX_POLL_FAILURES = 30;

/**
 * Follows tasks through their status events on JetStream: an ordered consumer on EVENTS that
 * replays each task's subject from its beginning, so nothing published between creating a task
 * and subscribing is missed. When NATS cannot be reached (or is lost), it says so once and polls
 * the HTTP API instead. Ends when `signal` aborts or the caller stops iterating.
 */
export async function* watchTasks<K extends MasterTaskKind>(
  plan: WatchPlan<K>,
  opts: WatchOptions,
): AsyncGenerator<TaskUpdate> {
  // NATS is for operators who were handed credentials; a user follows their own events through
  // the gateway, which filters them to what that user may see.
  if (!opts.natsCreds && opts.openEvents) {
    yield* gatewayOrPolling(plan, opts, opts.openEvents);
    return;
  }
  let nc: NatsConnection | undefined;
  try {
    nc = await connectNats(opts);
  } catch (err) {
    opts.onFallback(
      `cannot connect to NATS at ${opts.natsUrl} (${describe(err)}); polling the HTTP API every second instead`,
    );
  }
  if (nc) {
    try {
      const ended = yield* natsUpdates(plan, nc, opts);
      if (ended === 'aborted') return;
      opts.onFallback('lost NATS; polling the HTTP API every second instead');
    } catch (err) {
      if (opts.signal.aborted) return;
      opts.onFallback(
        `cannot read status events from stream ${Streams.events.name} (${describe(err)}); polling the HTTP API every second instead`,
      );
    } finally {
      await nc.close().catch(() => undefined);
    }
  }
  yield* pollUpdates(plan, opts);
}

async function* gatewayOrPolling<K extends MasterTaskKind>(
  plan: WatchPlan<K>,
  opts: WatchOptions,
  openEvents: NonNullable<WatchOptions['openEvents']>,
): AsyncGenerator<TaskUpdate> {
  const connection = new AbortController();
  const stop = () => connection.abort();
  opts.signal.addEventListener('abort', stop, { once: true });
  try {
    let events: AsyncIterable<GatewayEvent>;
    try {
      events = await openEvents(connection.signal);
    } catch (err) {
      if (opts.signal.aborted) return;
      opts.onFallback(
        `cannot follow events through the gateway (${describe(err)}); polling the HTTP API every second instead`,
      );
      yield* pollUpdates(plan, opts);
      return;
    }
    let why = 'it ended';
    try {
      yield* gatewayUpdates(plan, events);
    } catch (err) {
      why = describe(err);
    }
    if (opts.signal.aborted) return;
    // A gateway replica that stops closes its streams; polling carries the watch to the end.
    opts.onFallback(
      `lost the gateway's event stream (${why}); polling the HTTP API every second instead`,
    );
    yield* pollUpdates(plan, opts);
  } finally {
    opts.signal.removeEventListener('abort', stop);
    connection.abort();
  }
}

/**
 * The plan's tasks as the gateway's event stream reports them. The stream starts at the moment it
 * opened, so the tasks' state is read once right after (anything published since is in the
 * stream) and then every event is live. An event published between the two arrives after the
 * state it led to; the one after it sets the display right again.
 */
async function* gatewayUpdates<K extends MasterTaskKind>(
  plan: WatchPlan<K>,
  events: AsyncIterable<GatewayEvent>,
): AsyncGenerator<TaskUpdate> {
  for (const view of await plan.poll()) yield { view, current: true };
  const followed = new Set(plan.ids);
  for await (const event of events) {
    const record = recordOfEvent<K>(event.data, plan.kind);
    if (!record || !plan.accept(record)) continue;
    if (!plan.follow && !followed.has(record.id)) continue;
    yield { view: viewOfRecord(plan.kind, record), current: true };
  }
}

async function connectNats(opts: NatsOptions): Promise<NatsConnection> {
  return connect({
    servers: opts.natsUrl.split(',').map((s) => s.trim()),
    name: 'vault-cli',
    timeout: opts.connectTimeoutMs ?? 5_000,
    // A short outage is ridden out; a long one closes the connection and polling takes over.
    maxReconnectAttempts: 10,
    reconnectTimeWait: 1_000,
    // The CLI reads events as the observer identity, whose replies come on its own inbox only.
    inboxPrefix: natsPermissions({ kind: 'observer' }).inboxPrefix,
    ...(opts.natsCreds
      ? { authenticator: credsAuthenticator(new Uint8Array(await readFile(opts.natsCreds))) }
      : {}),
  });
}

/**
 * The record of a task's latest status event, or undefined when the stream holds none: the one
 * way to read an upload task, which no HTTP route returns. Throws when NATS cannot be reached.
 */
export async function readLastRecord<K extends MasterTaskKind>(
  kind: K,
  id: number,
  opts: NatsOptions,
): Promise<RecordOf<K> | undefined> {
  const nc = await connectNats(opts);
  try {
    const jsm = await jetstreamManager(nc);
    const message = await jsm.streams.getMessage(Streams.events.name, {
      last_by_subj: TaskEventSubjects[kind](id),
    });
    return message ? recordOf(message, kind) : undefined;
  } finally {
    await nc.close().catch(() => undefined);
  }
}

async function* natsUpdates<K extends MasterTaskKind>(
  plan: WatchPlan<K>,
  nc: NatsConnection,
  opts: WatchOptions,
): AsyncGenerator<TaskUpdate, 'aborted' | 'closed'> {
  const exact = !plan.follow && plan.ids.length <= MAX_FILTER_SUBJECTS;
  // A task's own subjects hold only its history, replayed whole; the kind's wildcard holds every
  // task's, so it is replayed only from a minute before the earliest task followed.
  const consumer = await jetstream(nc).consumers.get(
    Streams.events.name,
    exact
      ? {
          filter_subjects: plan.ids.map((id) => TaskEventSubjects[plan.kind](id)),
          deliver_policy: DeliverPolicy.All,
        }
      : {
          // EventSubjects' pattern for the kind, `events.tasks.<kind>.<id>`, with any id.
          filter_subjects: `events.tasks.${plan.kind}.*`,
          opt_start_time: new Date(plan.since.getTime() - CLOCK_SLACK_MS).toISOString(),
        },
  );
  const messages = await consumer.consume();
  const stop = () => void messages.stop();
  opts.signal.addEventListener('abort', stop, { once: true });
  void nc.closed().then(stop);
  const followed = new Set(plan.ids);
  try {
    for await (const message of messages) {
      const record = recordOf<K>(message, plan.kind);
      if (!record || !plan.accept(record)) continue;
      if (!plan.follow && !followed.has(record.id)) continue;
      yield { view: viewOfRecord(plan.kind, record), current: message.info.pending === 0 };
    }
  } finally {
    opts.signal.removeEventListener('abort', stop);
    stop();
  }
  return opts.signal.aborted ? 'aborted' : 'closed';
}

/** The event's record when the message is a well-formed status event of the subject's task. */
function recordOf<K extends MasterTaskKind>(
  message: Pick<StoredMsg, 'subject' | 'json'>,
  kind: K,
): RecordOf<K> | undefined {
  let event: unknown;
  try {
    event = message.json();
  } catch {
    return undefined;
  }
  const record = taskRecordOf(event);
  return record && message.subject === TaskEventSubjects[kind](record.id)
    ? (record as RecordOf<K>)
    : undefined;
}

/**
 * The record of a gateway event when it is a status event of a task of `kind`: the subject is not
 * in the event, its `type` (`upload.created`, `download.updated` …) names the kind.
 */
function recordOfEvent<K extends MasterTaskKind>(event: unknown, kind: K): RecordOf<K> | undefined {
  const type = (event as { type?: unknown } | null)?.type;
  if (type !== MasterEventTypes.created(kind) && type !== MasterEventTypes.updated(kind)) {
    return undefined;
  }
  return taskRecordOf(event) as RecordOf<K> | undefined;
}

function taskRecordOf(event: unknown): { id: number; status: number } | undefined {
  const record = (event as { record?: unknown } | null)?.record as
    { id?: unknown; status?: unknown } | null | undefined;
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.id !== 'number' ||
    typeof record.status !== 'number'
  ) {
    return undefined;
  }
  return record as { id: number; status: number };
}

async function* pollUpdates(plan: WatchPlan, opts: WatchOptions): AsyncGenerator<TaskUpdate> {
  let failures = 0;
  while (!opts.signal.aborted) {
    try {
      const views = await plan.poll();
      failures = 0;
      for (const view of views) yield { view, current: true };
    } catch (err) {
      if (opts.signal.aborted) return;
      // A refusal (401, 404 …) will not change by asking again; an outage might, for a while.
      if (!(err instanceof TaskApiError) || !err.transient || ++failures >= MAX_POLL_FAILURES) {
        throw err;
      }
    }
    try {
      await sleep(opts.pollIntervalMs ?? 1_000, undefined, { signal: opts.signal });
    } catch {
      return;
    }
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !err.message.includes(code)
    ? `${err.message} (${code})`
    : err.message;
}
