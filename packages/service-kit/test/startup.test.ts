import { natsPermissions } from '@media-vault/contracts';
import {
  connectAs,
  freePort,
  natsAccess,
  natsCreds,
  type NatsAccess,
} from '@media-vault/test-harness';
import type { NatsConnection } from '@nats-io/transport-node';
import { Type } from '@sinclair/typebox';
import { createServer, Socket, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { consumeJobs } from '../src/jobs.js';
import { createRuntime, type ServiceRuntime } from '../src/runtime.js';
import { isNatsUnavailable, untilNatsReady } from '../src/startup.js';
import { silentLog, waitFor } from './helpers.js';

let access: NatsAccess;
let nc: NatsConnection;
beforeAll(async () => {
  access = natsAccess(inject('servers'));
  nc = await connectAs(access);
});
afterAll(async () => {
  await nc?.close();
});

const named = (name: string, extra: object = {}) => Object.assign(new Error(name), { name }, extra);

describe('isNatsUnavailable', () => {
  it.each([
    ['a time-out', named('TimeoutError'), true],
    ['no responders', named('NoResponders'), true],
    ['a closed connection', named('ClosedConnectionError'), true],
    ['JetStream not enabled (yet)', named('JetStreamNotEnabled'), true],
    ['JetStream 503', named('JetStreamApiError', { status: 503 }), true],
    ['wrapped', new Error('request', { cause: named('TimeoutError') }), true],
    ['JetStream 404', named('JetStreamApiError', { status: 404 }), false],
    ['a permission violation', named('PermissionViolationError'), false],
    ['a bug', new TypeError('x is undefined'), false],
  ])('%s: %s', (_name, err, expected) => {
    expect(isNatsUnavailable(err)).toBe(expected);
  });

  it('knows the errors nats.js gives for a request nobody answers', async () => {
    const noResponders = await nc.request('startup.nobody', '').catch((e: unknown) => e);
    expect(isNatsUnavailable(noResponders), String(noResponders)).toBe(true);
    const sub = nc.subscribe('startup.silent');
    const timeout = await nc
      .request('startup.silent', '', { timeout: 200 })
      .catch((e: unknown) => e);
    sub.unsubscribe();
    expect(isNatsUnavailable(timeout), String(timeout)).toBe(true);
  });
});

describe('untilNatsReady', () => {
  const fast = { log: silentLog, firstDelayMs: 10, maxDelayMs: 20 };

  it('tries again while NATS cannot answer, then returns the result', async () => {
    let calls = 0;
    const result = await untilNatsReady(
      'step',
      async () => {
        if (++calls < 3) throw named('TimeoutError');
        return 'done';
      },
      fast,
    );
    expect({ result, calls }).toEqual({ result: 'done', calls: 3 });
  });

  it('throws any other failure at once', async () => {
    let calls = 0;
    const failure = await untilNatsReady(
      'step',
      async () => {
        calls++;
        throw named('PermissionViolationError');
      },
      fast,
    ).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'PermissionViolationError' });
    expect(calls).toBe(1);
  });

  it('stops when told to', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    const failure = await untilNatsReady(
      'step',
      async () => {
        throw named('TimeoutError');
      },
      { log: silentLog, signal: stop.signal, firstDelayMs: 10_000 },
    ).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'TimeoutError' });
  });
});

/**
 * A relay in front of the test's nats-server: down (nothing listens), or up and passing every
 * byte, or up and dropping the client's JetStream API requests (`$JS.API.…`), as a JetStream
 * with no leader yet or too loaded to answer in time: the client's calls time out.
 */
class NatsRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  dropJetStream = false;

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      // The client's protocol: lines, and after a PUB or HPUB line its payload and CRLF.
      let buffer = Buffer.alloc(0);
      let skip = 0;
      let pass = 0;
      client.on('data', (data: Buffer) => {
        buffer = Buffer.concat([buffer, data]);
        for (;;) {
          if (skip > 0 || pass > 0) {
            const n = Math.min(buffer.length, skip || pass);
            if (pass > 0) upstream.write(buffer.subarray(0, n));
            if (skip > 0) skip -= n;
            else pass -= n;
            buffer = buffer.subarray(n);
            if (buffer.length === 0) return;
            continue;
          }
          const end = buffer.indexOf('\r\n');
          if (end < 0) return;
          const line = buffer.subarray(0, end + 2);
          buffer = buffer.subarray(end + 2);
          const [op, subject, ...rest] = line.toString('latin1').trim().split(' ');
          const payload = op === 'PUB' || op === 'HPUB' ? Number(rest.at(-1)) + 2 : 0;
          if (this.dropJetStream && payload > 0 && subject!.startsWith('$JS.API.')) {
            skip = payload;
          } else {
            upstream.write(line);
            pass = payload;
          }
        }
      });
    });
    await new Promise<void>((done) => server.listen(this.port, '127.0.0.1', done));
    this.server = server;
  }

  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
    this.server = undefined;
  }
}

describe('a service started before NATS or JetStream can answer', () => {
  const readyz = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: res.status, body: (await res.json()) as { failures: string[] } };
  };

  const start = async (relay: NatsRelay, healthPort: number) =>
    createRuntime({
      service: 'startup-test',
      natsUrl: relay.url,
      natsCreds: await natsCreds(access, { kind: 'tasks' }),
      natsInboxPrefix: natsPermissions({ kind: 'tasks' }).inboxPrefix,
      logLevel: 'silent',
      healthPort,
      streams: ['EVENTS', 'JOBS'],
    });

  const target = () => {
    const url = new URL(access.url.replace(/^nats:/, 'http:'));
    return { host: url.hostname, port: Number(url.port) };
  };

  it('waits for NATS, answers /readyz 503 meanwhile, and is ready once NATS is', async () => {
    const relay = new NatsRelay(await freePort(), target());
    const healthPort = await freePort();
    let runtime: ServiceRuntime<Record<string, never>> | undefined;
    const starting = start(relay, healthPort).then((r) => (runtime = r));
    try {
      const waiting = await waitFor('the health port', () =>
        readyz(healthPort).catch(() => undefined),
      );
      expect(waiting.status).toBe(503);
      expect(waiting.body.failures).toEqual(['start-up: starting: connecting to NATS']);
      expect((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status).toBe(200);
      await new Promise((done) => setTimeout(done, 1_500));
      expect(runtime).toBeUndefined();

      await relay.up();
      await starting;
      await runtime!.serveHealth();
      expect((await readyz(healthPort)).status).toBe(200);
    } finally {
      await starting.catch(() => undefined);
      await runtime?.lifecycle.close();
      await relay.down();
    }
  });

  it('waits while JetStream API calls time out, and is ready once they are answered', async () => {
    const relay = new NatsRelay(await freePort(), target());
    relay.dropJetStream = true;
    await relay.up();
    const healthPort = await freePort();
    let runtime: ServiceRuntime<Record<string, never>> | undefined;
    let failed: unknown;
    const starting = start(relay, healthPort).then(
      (r) => (runtime = r),
      (err: unknown) => (failed = err),
    );
    try {
      // Longer than one JetStream API call may take (5 s): at least one timed out.
      await new Promise((done) => setTimeout(done, 7_000));
      expect(failed).toBeUndefined();
      expect(runtime).toBeUndefined();
      const waiting = await readyz(healthPort);
      expect(waiting.status).toBe(503);
      expect(waiting.body.failures).toEqual([
        'start-up: starting: waiting for JetStream and the streams',
      ]);

      relay.dropJetStream = false;
      await starting;
      expect(failed).toBeUndefined();
      await runtime!.serveHealth();
      expect((await readyz(healthPort)).status).toBe(200);
    } finally {
      await starting;
      await runtime?.lifecycle.close();
      await relay.down();
    }
  });

  it('sets up its job consumers once JetStream answers', async () => {
    const relay = new NatsRelay(await freePort(), target());
    relay.dropJetStream = true;
    await relay.up();
    const conn = await connectAs({ ...access, url: relay.url });
    let consumer: { stop(): Promise<void> } | undefined;
    let failed: unknown;
    const starting = consumeJobs(conn, {
      durable: `startup-${Date.now().toString(36)}`,
      subject: 'jobs.startup.test',
      schema: Type.Object({}),
      handle: async () => undefined,
      log: silentLog,
    }).then(
      (c) => (consumer = c),
      (err: unknown) => (failed = err),
    );
    try {
      await new Promise((done) => setTimeout(done, 6_000));
      expect({ failed, consumer }).toEqual({ failed: undefined, consumer: undefined });
      relay.dropJetStream = false;
      await starting;
      expect(failed).toBeUndefined();
      expect(consumer).toBeDefined();
    } finally {
      await starting;
      await consumer?.stop();
      await conn.close();
      await relay.down();
    }
  });
});
