import { Streams } from '@media-vault/contracts';
import { connectAs, startNats, type StartedNats } from '@media-vault/test-harness';
import {
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStreams } from '../src/streams.js';

const DAY_NS = 24 * 60 * 60 * 1_000_000_000;
const MINUTE_NS = 60 * 1_000_000_000;

// A nats-server of its own: creating the streams from nothing is only observable on a fresh
// server, and the shared one already has them from the other test files.
describe('ensureStreams', () => {
  let nats: StartedNats;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nats = await startNats({ provision: false });
    nc = await connectAs(nats);
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    await nc?.drain();
    await nats?.stop();
  });

  const streamNames = async () => {
    const names: string[] = [];
    for await (const name of jsm.streams.names()) names.push(name);
    return names.sort();
  };

  it('creates both streams when several services start at the same moment', async () => {
    expect(await streamNames()).toEqual([]);
    const clients = await Promise.all(Array.from({ length: 4 }, () => connectAs(nats)));
    try {
      await Promise.all(clients.map((c) => ensureStreams(c)));
    } finally {
      await Promise.all(clients.map((c) => c.drain()));
    }
    expect(await streamNames()).toEqual(['EVENTS', 'JOBS']);
  });

  it('configures EVENTS as a limits stream with a duplicate window', async () => {
    const { config } = await jsm.streams.info(Streams.events.name);
    expect(config.subjects).toEqual(['events.>']);
    expect(config.retention).toBe(RetentionPolicy.Limits);
    expect(config.max_age).toBe(7 * DAY_NS);
    // Above the server's default of 1,000, so a thousand open consoles do not exhaust it.
    expect(config.max_consumers).toBe(20_000);
    expect(config.duplicate_window).toBe(10 * MINUTE_NS);
    expect(config.num_replicas).toBe(1);
    expect(config.description).toBe(Streams.events.description);
  });

  it('configures JOBS as a work queue', async () => {
    const { config } = await jsm.streams.info(Streams.jobs.name);
    expect(config.subjects).toEqual(['jobs.>']);
    expect(config.retention).toBe(RetentionPolicy.Workqueue);
    expect(config.duplicate_window).toBe(10 * MINUTE_NS);
    expect(config.num_replicas).toBe(1);
  });

  it('is idempotent run again, sequentially and concurrently, and keeps stored messages', async () => {
    const js = jetstream(nc);
    await js.publish('events.streams-test.kept', 'x', { msgID: 'kept-1' });
    await js.publish('jobs.streams-test.kept', 'y');
    const before = await Promise.all([
      jsm.streams.info(Streams.events.name),
      jsm.streams.info(Streams.jobs.name),
    ]);

    await ensureStreams(nc);
    await ensureStreams(nc);
    await Promise.all([ensureStreams(nc), ensureStreams(nc), ensureStreams(nc)]);

    expect(await streamNames()).toEqual(['EVENTS', 'JOBS']);
    const after = await Promise.all([
      jsm.streams.info(Streams.events.name),
      jsm.streams.info(Streams.jobs.name),
    ]);
    for (const [i, info] of after.entries()) {
      // Same stream (not deleted and re-created), same config, same messages.
      expect(info.created).toBe(before[i]?.created);
      expect(info.config).toEqual(before[i]?.config);
      expect(info.state.messages).toBe(before[i]?.state.messages);
    }
    expect(after[0].state.messages).toBe(1);
    expect(after[1].state.messages).toBe(1);
    // The duplicate window is still in force after the updates.
    const again = await js.publish('events.streams-test.kept', 'x', { msgID: 'kept-1' });
    expect(again.duplicate).toBe(true);
  });

  it('brings a stream whose settings drifted back to the expected ones', async () => {
    const { config } = await jsm.streams.info(Streams.events.name);
    await jsm.streams.update(Streams.events.name, {
      ...config,
      max_age: DAY_NS,
      description: 'changed by hand',
    });

    await ensureStreams(nc);

    const restored = await jsm.streams.info(Streams.events.name);
    expect(restored.config.max_age).toBe(7 * DAY_NS);
    expect(restored.config.description).toBe(Streams.events.description);
  });
});
