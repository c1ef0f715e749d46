import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, startNats, type StartedNats } from '../src/nats.js';

describe('startNats', () => {
  let nats: StartedNats;

  beforeAll(async () => {
    nats = await startNats();
  });

  afterAll(async () => {
    await nats?.stop();
  });

  it('runs in operator mode: a connection without credentials is refused', async () => {
    await expect(connect({ servers: nats.url, reconnect: false, timeout: 5_000 })).rejects.toThrow(
      /authorization/i,
    );
  });

  it('lets the admin in, with EVENTS and JOBS already provisioned', async () => {
    const admin = await connectAs(nats);
    try {
      const names: string[] = [];
      for await (const s of (await jetstreamManager(admin)).streams.list()) {
        names.push(s.config.name);
      }
      expect(names.sort()).toEqual(['EVENTS', 'JOBS']);
    } finally {
      await admin.close();
    }
  });

  it('stops the server and removes its trust chain and store', async () => {
    const other = await startNats({ provision: false });
    expect(existsSync(other.authDir)).toBe(true);
    await other.stop();
    expect(existsSync(other.authDir)).toBe(false);
    await expect(connectAs(other)).rejects.toThrow();
  });
});
