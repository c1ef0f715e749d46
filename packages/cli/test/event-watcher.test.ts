import { EventSubjects, type UploadTask } from '@media-vault/contracts';
import {
  connectAs,
  freePort,
  natsCreds,
  startNats,
  type StartedNats,
} from '@media-vault/test-harness';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchTasks, type TaskUpdate, type WatchPlan } from '../src/event-watcher.js';
import { viewOfUpload } from '../src/task-view.js';
import { uploadRecord } from './fixtures.js';

let nats: StartedNats;
let nc: NatsConnection;
/** What an operator hands a CLI user who may watch events: the observer's creds. */
let observer: string;

beforeAll(async () => {
  nats = await startNats();
  nc = await connectAs(nats);
  observer = await natsCreds(nats, { kind: 'observer' });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

/** An event record: the task record plus its owner, as the tasks service publishes it. */
const record = (id: number, status: number, uuid: string, user = 'studio'): UploadTask =>
  ({
    ...uploadRecord({ id, status, uuid, percent: status === 8 ? 100 : 0 }),
    user_id: user,
  }) as UploadTask;

let eventCount = 0;
const publish = (r: UploadTask) =>
  jetstream(nc).publish(
    EventSubjects.uploadTask(r.id),
    JSON.stringify({
      id: `e${++eventCount}`,
      type: 'upload.updated',
      at: new Date().toISOString(),
      previous_status: null,
      status: r.status,
      record: r,
    }),
  );

const plan = (over: Partial<WatchPlan<'upload'>>): WatchPlan<'upload'> => ({
  kind: 'upload',
  ids: [],
  follow: false,
  since: new Date(),
  accept: () => true,
  poll: async () => [],
  ...over,
});

/** Reads updates until `enough` says so, then stops the watch. */
async function collect(
  updates: AsyncGenerator<TaskUpdate>,
  enough: (seen: TaskUpdate[]) => boolean,
  onEach?: (seen: TaskUpdate[]) => Promise<void>,
): Promise<TaskUpdate[]> {
  const seen: TaskUpdate[] = [];
  for await (const update of updates) {
    seen.push(update);
    await onEach?.(seen);
    if (enough(seen)) break;
  }
  return seen;
}

describe('watchTasks on JetStream', () => {
  it("replays a task's history (marked not current) and then follows it live", async () => {
    await publish(record(5, 3, 'old-incarnation'));
    await publish(record(5, 0, 'mine'));
    await publish(record(6, 1, 'another-task'));
    await publish(record(5, 9, 'mine'));
    await publish(record(5, 0, 'mine'));
    const controller = new AbortController();
    const seen = await collect(
      watchTasks(plan({ ids: [5], accept: (r) => r.uuid === 'mine' }), {
        natsUrl: nats.url,
        natsCreds: observer,
        signal: controller.signal,
        onFallback: (m) => expect.fail(m),
      }),
      (s) => s.at(-1)?.view.status === 8,
      async (s) => {
        // Caught up: what happens next arrives live.
        if (s.length === 3) await publish(record(5, 8, 'mine'));
      },
    );
    expect(seen.map((u) => [u.view.id, u.view.status, u.current])).toEqual([
      [5, 0, false],
      [5, 9, false],
      [5, 0, true],
      [5, 8, true],
    ]);
  });

  it('following: takes new tasks the plan accepts, from its start time', async () => {
    const controller = new AbortController();
    const since = new Date();
    const updates = watchTasks(
      plan({ follow: true, since, accept: (r) => (r as { user_id?: string }).user_id === 'me' }),
      {
        natsUrl: nats.url,
        natsCreds: observer,
        signal: controller.signal,
        onFallback: (m) => expect.fail(m),
      },
    );
    await publish(record(20, 0, 'x', 'someone-else'));
    await publish(record(21, 3, 'y', 'me'));
    const seen = await collect(updates, (s) => s.length === 1);
    expect(seen.map((u) => [u.view.id, u.view.status])).toEqual([[21, 3]]);
  });

  it('ends quietly when the signal aborts', async () => {
    const controller = new AbortController();
    const updates = watchTasks(plan({ ids: [404] }), {
      natsUrl: nats.url,
      natsCreds: observer,
      signal: controller.signal,
      onFallback: (m) => expect.fail(m),
    });
    setTimeout(() => controller.abort(), 200);
    expect(await collect(updates, () => false)).toEqual([]);
  });
});

describe('watchTasks falling back to polling', () => {
  const polling = (natsUrl: string, natsCreds?: string) => {
    const notes: string[] = [];
    const controller = new AbortController();
    let polls = 0;
    const updates = watchTasks(
      plan({
        ids: [1],
        poll: async () => [viewOfUpload(record(1, ++polls >= 2 ? 8 : 3, 'u'))],
      }),
      {
        natsUrl,
        natsCreds,
        signal: controller.signal,
        onFallback: (m) => notes.push(m),
        pollIntervalMs: 20,
      },
    );
    return { notes, updates };
  };

  it('when NATS is unreachable: says so once and polls', async () => {
    const { notes, updates } = polling(`nats://127.0.0.1:${await freePort()}`);
    const seen = await collect(updates, (s) => s.at(-1)?.view.status === 8);
    expect(seen.map((u) => [u.view.status, u.current])).toEqual([
      [3, true],
      [8, true],
    ]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/cannot connect to NATS at .*polling the HTTP API every second/);
  });

  it('without NATS credentials: the server refuses the CLI, which polls', async () => {
    const { notes, updates } = polling(nats.url);
    const seen = await collect(updates, (s) => s.at(-1)?.view.status === 8);
    expect(seen.at(-1)?.view.status).toBe(8);
    expect(notes).toEqual([
      expect.stringMatching(/cannot connect to NATS at .*polling the HTTP API/),
    ]);
  });

  it('when the server has no EVENTS stream', async () => {
    const bare = await startNats({ provision: false });
    try {
      const { notes, updates } = polling(bare.url, await natsCreds(bare, { kind: 'observer' }));
      await collect(updates, (s) => s.at(-1)?.view.status === 8);
      expect(notes).toEqual([
        expect.stringMatching(/cannot read status events from stream EVENTS/),
      ]);
    } finally {
      await bare.stop();
    }
  });

  it('when NATS goes away for good while watching', async () => {
    const doomed = await startNats();
    const { notes, updates } = polling(doomed.url, await natsCreds(doomed, { kind: 'observer' }));
    setTimeout(() => void doomed.stop(), 300);
    const seen = await collect(updates, (s) => s.at(-1)?.view.status === 8);
    expect(seen.at(-1)?.view.status).toBe(8);
    expect(notes).toEqual(['lost NATS; polling the HTTP API every second instead']);
  }, 40_000);
});

describe('watchTasks through the gateway (no NATS credentials)', () => {
  const event = (r: UploadTask, type = 'upload.updated') => ({
    id: String(r.id),
    data: { type, status: r.status, previous_status: null, record: r },
  });

  it('reads the tasks once after the stream opened, then takes only their events', async () => {
    const order: string[] = [];
    const controller = new AbortController();
    const seen = await collect(
      watchTasks(
        plan({
          ids: [1],
          poll: async () => (order.push('poll'), [viewOfUpload(record(1, 1, 'u'))]),
        }),
        {
          natsUrl: nats.url,
          signal: controller.signal,
          onFallback: (m) => expect.fail(m),
          openEvents: async () => {
            order.push('open');
            return (async function* () {
              yield event(record(2, 3, 'another task'));
              yield event(record(1, 2, 'u'), 'download.updated');
              yield { id: '9', data: undefined };
              yield event({ ...record(1, 2, 'u'), percent: 40 } as UploadTask);
              yield event(record(1, 8, 'u'));
            })();
          },
        },
      ),
      (s) => s.at(-1)?.view.status === 8,
    );
    expect(order).toEqual(['open', 'poll']);
    expect(seen.map((u) => [u.view.id, u.view.status, u.view.percent])).toEqual([
      [1, 1, 0],
      [1, 2, 40],
      [1, 8, 100],
    ]);
  });

  it('polls, saying so once, when the gateway refuses the stream or it ends', async () => {
    for (const openEvents of [
      async () => {
        throw new Error('GET /api/v1/events/: the event stream cannot be read now (HTTP 503)');
      },
      async () => (async function* () {})(),
    ]) {
      const notes: string[] = [];
      let polls = 0;
      const seen = await collect(
        watchTasks(
          plan({
            ids: [1],
            poll: async () => [viewOfUpload(record(1, ++polls >= 3 ? 8 : 3, 'u'))],
          }),
          {
            natsUrl: nats.url,
            signal: new AbortController().signal,
            onFallback: (m) => notes.push(m),
            pollIntervalMs: 20,
            openEvents,
          },
        ),
        (s) => s.at(-1)?.view.status === 8,
      );
      expect(seen.at(-1)?.view.status).toBe(8);
      expect(notes).toEqual([expect.stringMatching(/gateway.*polling the HTTP API every second/)]);
    }
  });
});
