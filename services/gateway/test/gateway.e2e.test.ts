import { EventSubjects, type Agent, type AgentEvent } from '@media-vault/contracts';
import {
  connectAs,
  createDatabase,
  natsAccess,
  natsEnv,
  principalSigningEnv,
  uniqueName,
} from '@media-vault/test-harness';
import { Svcm } from '@nats-io/services';
import type { NatsConnection } from '@nats-io/transport-node';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadGatewayConfig } from '../src/config.js';
import { buildGateway, type GatewayServer } from '../src/server.js';
import {
  readSubject,
  signToken,
  startTasksProcess,
  totalCount,
  waitFor,
  type ServiceProcess,
} from './helpers.js';

const servers = inject('servers');
const secret = `gateway-e2e-${randomUUID()}`;
const BODY_LIMIT = 4096;
const SEED_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const run = Date.now().toString(36);
const ALL_AGENT_EVENTS = 'events.tasks.agent.>';

let counter = 0;
const newAgentId = (label = 'agent') => `${label}-${run}-${++counter}`;
const key = (encoding: 'base64' | 'base64url' = 'base64') => randomBytes(32).toString(encoding);
const registration = (over: Record<string, string> = {}) => ({
  id: newAgentId(),
  peer_id: `12D3KooW${randomBytes(8).toString('hex')}`,
  public_key: key(),
  signing_key: key('base64url'),
  ...over,
});

interface Reply<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}
type Envelope<T> = { data: T; message: string };

describe('gateway and tasks service, end to end over HTTP and NATS', () => {
  let tasks: ServiceProcess;
  let gateway: GatewayServer;
  let nc: NatsConnection;
  let db: pg.Client;
  let alice: string;
  let bob: string;
  const aliceId = `alice-${run}`;
  const bobId = `bob-${run}`;

  const http = async <T = unknown>(
    method: string,
    path: string,
    opts: { token?: string; headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<Reply<T>> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.token = opts.token;
    let body: string | FormData | URLSearchParams | undefined;
    if (opts.body instanceof FormData || opts.body instanceof URLSearchParams) body = opts.body;
    else if (typeof opts.body === 'string') body = opts.body;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(new URL(path, gateway.url), { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    if (res.headers.get('content-type')?.includes('application/json')) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as T };
  };

  const listAgents = async (token: string) => {
    const res = await http<Envelope<Agent[]>>('GET', '/api/v1/agents/', { token });
    expect(res.status).toBe(200);
    return res.body.data;
  };

  /**
   * The agents table as stored: what "nothing changed" is checked against. (The outbox is left
   * out: the relay empties it at its own pace.)
   */
  const snapshot = async () =>
    (await db.query('select * from agents order by id')).rows as Record<string, unknown>[];

  /**
   * The relay publishes outbox rows in order, so once a fresh registration's event is in the
   * stream, anything written before it has been published too: a way to prove "no event" without
   * waiting an arbitrary time.
   */
  const flushEvents = async () => {
    const body = registration({ name: 'sentinel' });
    const res = await http('POST', '/api/v1/agents/', { token: alice, body });
    expect(res.status).toBe(200);
    await waitFor('the sentinel event', async () =>
      (await totalCount(nc, EventSubjects.agent(body.id))) === 1 ? true : undefined,
    );
  };

  beforeAll(async () => {
    const databaseUrl = await createDatabase(servers.postgresUrl!, uniqueName('gateway_e2e'));
    nc = await connectAs(natsAccess(servers));
    alice = await signToken({ sub: aliceId, name: 'Alice', roles: [100], secret });
    bob = await signToken({ sub: bobId, name: 'Bob', secret });
    tasks = await startTasksProcess({
      nats: natsAccess(servers),
      databaseUrl,
      nc,
      probeAs: { id: 'probe', name: 'probe', roles: [] },
    });
    gateway = await buildGateway(
      loadGatewayConfig({
        ...(await natsEnv(natsAccess(servers), { kind: 'gateway' })),
        ...principalSigningEnv(),
        PORT: '0',
        HOST: '127.0.0.1',
        JWT_SECRET: secret,
        LOG_LEVEL: 'silent',
        SHUTDOWN_DRAIN_MS: '0',
        BODY_LIMIT: String(BODY_LIMIT),
        COMMAND_TIMEOUT_MS: '5000',
      }),
    );
    db = new pg.Client({ connectionString: databaseUrl, options: '-c search_path=tasks' });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await gateway?.close();
    await tasks?.stop();
    await nc?.drain();
  });

  describe('operational endpoints', () => {
    it('/healthz answers 200; /readyz only once every service it routes to serves', async () => {
      const health = await http('GET', '/healthz');
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ status: 'ok' });
      // The tasks service runs here; the assets service does not, so requests would get 503.
      const early = await http('GET', '/readyz');
      expect(early.status).toBe(503);
      expect(early.body).toEqual({
        status: 'not ready',
        failures: ['services: no assets service answers yet'],
      });
      // A replica registered with the services framework is what the check looks for.
      const assets = await new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]).add({
        name: 'assets',
        version: '0.0.0',
      });
      try {
        // Each probe pings with a one-second wait; a loaded machine may miss one, not several.
        let ready = await http('GET', '/readyz');
        for (let probe = 1; probe < 5 && ready.status !== 200; probe++) {
          ready = await http('GET', '/readyz');
        }
        expect(ready.body).toEqual({ status: 'ready', failures: [] });
        expect(ready.status).toBe(200);
      } finally {
        await assets.stop();
      }
      expect((await http('GET', '/readyz')).status).toBe(503);
    });

    it('/metrics serves Prometheus text', async () => {
      const res = await http<string>('GET', '/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(res.body).toContain('# TYPE vault_commands_total counter');
      expect(res.body).toContain('process_cpu_user_seconds_total');
    });

    it('/docs/json lists the API routes and hides the operational ones', async () => {
      const res = await http<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
        'GET',
        '/docs/json',
      );
      expect(res.status).toBe(200);
      expect(res.body.openapi).toMatch(/^3\./);
      expect(Object.keys(res.body.paths['/api/v1/agents/'] ?? {}).sort()).toEqual(['get', 'post']);
      expect(Object.keys(res.body.paths['/api/v1/users/me/'] ?? {})).toEqual(['get']);
      expect(res.body.paths['/healthz']).toBeUndefined();
      expect(res.body.paths['/metrics']).toBeUndefined();
      const docs = await fetch(new URL('/docs', gateway.url));
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toContain('text/html');
    });

    it('an unknown route is a 404 envelope', async () => {
      const res = await http('GET', '/api/v1/nope/?x=1', { token: alice });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ data: null, message: 'no route GET /api/v1/nope/' });
    });

    it('echoes a given x-request-id and makes one up otherwise', async () => {
      const given = await http('GET', '/healthz', { headers: { 'x-request-id': 'e2e-req.42' } });
      expect(given.headers.get('x-request-id')).toBe('e2e-req.42');
      const made = await http('GET', '/healthz');
      expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      // Not a safe id to log or forward: replaced.
      const unsafe = await http('GET', '/healthz', {
        headers: { 'x-request-id': 'has spaces and ${jndi}' },
      });
      expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const long = await http('GET', '/healthz', { headers: { 'x-request-id': 'r'.repeat(129) } });
      expect(long.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      // Error replies carry it too.
      const error = await http('GET', '/api/v1/users/me/', {
        headers: { 'x-request-id': 'e2e-req-401' },
      });
      expect(error.status).toBe(401);
      expect(error.headers.get('x-request-id')).toBe('e2e-req-401');
    });
  });

  describe('GET /api/v1/users/me/', () => {
    const me = { id: `alice-${run}`, name: 'Alice', roles: [100] };

    it('accepts the seed Token header', async () => {
      const res = await http('GET', '/api/v1/users/me/', { token: alice });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: me, message: '' });
    });

    it('accepts Authorization: Bearer, and a Token header with a scheme', async () => {
      const bearer = await http('GET', '/api/v1/users/me/', {
        headers: { authorization: `Bearer ${alice}` },
      });
      expect(bearer.status).toBe(200);
      expect(bearer.body).toEqual({ data: me, message: '' });
      const prefixed = await http('GET', '/api/v1/users/me/', {
        headers: { token: `Token ${alice}` },
      });
      expect(prefixed.body).toEqual({ data: me, message: '' });
    });

    it('works without the trailing slash', async () => {
      const res = await http('GET', '/api/v1/users/me', { token: alice });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: me, message: '' });
    });

    it('without a token: 401 envelope saying how to send one', async () => {
      const res = await http('GET', '/api/v1/users/me/');
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        data: null,
        message: 'missing token: send the Token header or Authorization: Bearer',
      });
      const basic = await http('GET', '/api/v1/users/me/', {
        headers: { authorization: 'Basic YWxpY2U6cGFzcw==' },
      });
      expect(basic.status).toBe(401);
    });

    it('a token signed with another key: 401', async () => {
      const forged = await signToken({ sub: aliceId, secret: `${secret}-not` });
      const res = await http('GET', '/api/v1/users/me/', { token: forged });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ data: null, message: 'token is invalid' });
    });

    it('an expired token: 401', async () => {
      const expired = await signToken({
        sub: aliceId,
        secret,
        exp: Math.floor(Date.now() / 1000) - 60,
      });
      const res = await http('GET', '/api/v1/users/me/', { token: expired });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ data: null, message: 'token has expired' });
    });

    it('a token without sub, or with an unusable one: 401', async () => {
      for (const sub of [undefined, '', 'has space']) {
        const token = await signToken({ sub, secret });
        const res = await http('GET', '/api/v1/users/me/', { token });
        expect(res.status, String(sub)).toBe(401);
        expect(res.body, String(sub)).toEqual({
          data: null,
          message: 'token has no valid sub claim',
        });
      }
    });

    it('garbage and unsigned tokens: 401', async () => {
      const header = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url');
      const payload = Buffer.from(JSON.stringify({ sub: aliceId })).toString('base64url');
      for (const token of ['not-a-jwt', `${header}.${payload}.`]) {
        const res = await http('GET', '/api/v1/users/me/', { token });
        expect(res.status, token).toBe(401);
        expect((res.body as Envelope<null>).data).toBeNull();
      }
    });
  });

  describe('POST and GET /api/v1/agents/', () => {
    const expectAgent = (agent: Agent, body: Record<string, string>, owner: string) => {
      expect(agent).toMatchObject({
        id: body.id,
        user_id: owner,
        name: body.name ?? '',
        peer_id: body.peer_id,
        public_key: body.public_key,
        signing_key: body.signing_key,
      });
      expect(agent.created_at).toMatch(SEED_TIME);
      expect(agent.updated_at).toMatch(SEED_TIME);
    };

    it('registers from JSON: 200 envelope with seed-style times', async () => {
      const body = registration({ name: 'json agent' });
      const res = await http<Envelope<Agent>>('POST', '/api/v1/agents/', { token: alice, body });
      expect(res.status).toBe(200);
      expect(res.body.message).toBe('');
      expectAgent(res.body.data, body, aliceId);
    });

    it('registers from an url-encoded form', async () => {
      const body = registration({ name: 'form agent' });
      const res = await http<Envelope<Agent>>('POST', '/api/v1/agents/', {
        token: alice,
        body: new URLSearchParams(body),
      });
      expect(res.status).toBe(200);
      expectAgent(res.body.data, body, aliceId);
    });

    it('registers from multipart FormData, as seed 000 clients send it', async () => {
      const body = registration({ name: 'multipart agent' });
      const form = new FormData();
      for (const [k, v] of Object.entries(body)) form.append(k, v);
      const res = await http<Envelope<Agent>>('POST', '/api/v1/agents/', {
        token: alice,
        body: form,
      });
      expect(res.status).toBe(200);
      expectAgent(res.body.data, body, aliceId);
    });

    it('works without the trailing slash, with a Bearer token', async () => {
      const body = registration();
      const res = await http<Envelope<Agent>>('POST', '/api/v1/agents', {
        headers: { authorization: `Bearer ${alice}` },
        body,
      });
      expect(res.status).toBe(200);
      expectAgent(res.body.data, body, aliceId);
    });

    it('needs a token', async () => {
      const res = await http('POST', '/api/v1/agents/', { body: registration() });
      expect(res.status).toBe(401);
      expect((res.body as Envelope<null>).data).toBeNull();
      const list = await http('GET', '/api/v1/agents/');
      expect(list.status).toBe(401);
    });

    it("lists only the caller's agents, oldest first", async () => {
      const bobsAgent = registration({ name: "bob's" });
      expect((await http('POST', '/api/v1/agents/', { token: bob, body: bobsAgent })).status).toBe(
        200,
      );

      const alices = await listAgents(alice);
      const bobs = await listAgents(bob);
      expect(bobs.map((a) => a.id)).toEqual([bobsAgent.id]);
      expect(alices.length).toBeGreaterThanOrEqual(4);
      expect(alices.every((a) => a.user_id === aliceId)).toBe(true);
      expect(alices.map((a) => a.id)).not.toContain(bobsAgent.id);
      expect(alices.map((a) => a.name).slice(0, 3)).toEqual([
        'json agent',
        'form agent',
        'multipart agent',
      ]);

      const carol = await signToken({ sub: `carol-${run}`, secret });
      expect(await listAgents(carol)).toEqual([]);
    });

    describe('bad input: 400 naming the problem, and nothing changed', () => {
      const good = registration({ name: 'good' });
      const bad: [label: string, body: unknown, message: RegExp][] = [
        ['missing peer_id', { ...good, peer_id: undefined }, /peer_id/],
        ['missing id', { ...good, id: undefined }, /\bid\b/],
        ['empty body', {}, /required property/],
        ['public_key not base64', { ...good, public_key: `${'!'.repeat(43)}` }, /public_key/],
        ['public_key too short', { ...good, public_key: key().slice(0, 40) }, /public_key/],
        ['signing_key too long', { ...good, signing_key: `${key()}AAAA` }, /signing_key/],
        [
          'all-zero public_key',
          { ...good, public_key: Buffer.alloc(32).toString('base64') },
          /public_key/,
        ],
        ['id with a dot', { ...good, id: `dot.${good.id}` }, /\bid\b/],
        ['id with a space', { ...good, id: `sp ${good.id}` }, /\bid\b/],
        ['id too short', { ...good, id: 'ab' }, /\bid\b/],
        ['unknown field', { ...good, colour: 'blue' }, /must NOT have additional properties/],
        ['name too long', { ...good, name: 'n'.repeat(201) }, /name/],
      ];
      let before: Record<string, unknown>[];
      let listBefore: Agent[];
      let eventsBefore: number;

      beforeAll(async () => {
        await flushEvents();
        before = await snapshot();
        listBefore = await listAgents(alice);
        eventsBefore = await totalCount(nc, ALL_AGENT_EVENTS);
      });

      it.each(bad)('%s', async (_label, body, message) => {
        const res = await http<Envelope<null>>('POST', '/api/v1/agents/', { token: alice, body });
        expect(res.status).toBe(400);
        expect(res.body.data).toBeNull();
        expect(res.body.message).toMatch(message);
      });

      it('a body that is not JSON', async () => {
        const res = await http<Envelope<null>>('POST', '/api/v1/agents/', {
          token: alice,
          headers: { 'content-type': 'application/json' },
          body: '{"id": "x",',
        });
        expect(res.status).toBe(400);
        expect(res.body.data).toBeNull();
        expect(res.body.message).not.toBe('');
      });

      it('an unsupported content type is refused with 415', async () => {
        const res = await http<Envelope<null>>('POST', '/api/v1/agents/', {
          token: alice,
          headers: { 'content-type': 'application/xml' },
          body: '<agent/>',
        });
        expect(res.status).toBe(415);
        expect(res.body.data).toBeNull();
        expect(res.body.message).toBe(
          'Content-Type "application/xml" is not accepted: send application/json, application/x-www-form-urlencoded or multipart/form-data',
        );
      });

      it('JSON sent as text/plain is a string, not an agent', async () => {
        const res = await http<Envelope<null>>('POST', '/api/v1/agents/', {
          token: alice,
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify(good),
        });
        expect(res.status).toBe(400);
        expect(res.body.message).toMatch(/must be object/);
      });

      it('changed nothing: same list, same rows, no event', async () => {
        expect(await listAgents(alice)).toEqual(listBefore);
        expect(await snapshot()).toEqual(before);
        await flushEvents();
        // Only the sentinel's event arrived since.
        expect(await totalCount(nc, ALL_AGENT_EVENTS)).toBe(eventsBefore + 1);
        expect(await totalCount(nc, EventSubjects.agent(good.id))).toBe(0);
      });
    });

    it('another user registering the same id: 409, and the agent stays with its owner', async () => {
      const body = registration({ name: 'mine' });
      const first = await http<Envelope<Agent>>('POST', '/api/v1/agents/', { token: alice, body });
      expect(first.status).toBe(200);
      const before = await snapshot();

      const res = await http<Envelope<null>>('POST', '/api/v1/agents/', {
        token: bob,
        body: { ...body, peer_id: '12D3KooWthief' },
      });

      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        data: null,
        message: `agent id ${body.id} is registered to another user`,
      });
      expect(await snapshot()).toEqual(before);
      expect((await listAgents(bob)).map((a) => a.id)).not.toContain(body.id);
      await flushEvents();
      expect(await totalCount(nc, EventSubjects.agent(body.id))).toBe(1);
      const mine = (await listAgents(alice)).find((a) => a.id === body.id);
      expect(mine).toEqual(first.body.data);
    });

    it('publishes events.tasks.agent.<id> exactly once per real change', async () => {
      const body = registration({ name: 'evented' });
      const subject = EventSubjects.agent(body.id);

      const created = await http<Envelope<Agent>>('POST', '/api/v1/agents/', {
        token: alice,
        body,
      });
      expect(created.status).toBe(200);
      await waitFor('the registration event', async () =>
        (await totalCount(nc, subject)) === 1 ? true : undefined,
      );

      // The same registration again, in each encoding: answered, but not a change.
      const again = await http<Envelope<Agent>>('POST', '/api/v1/agents/', { token: alice, body });
      expect(again.status).toBe(200);
      expect(again.body.data).toEqual(created.body.data);
      const asForm = await http('POST', '/api/v1/agents/', {
        token: alice,
        body: new URLSearchParams(body),
      });
      expect(asForm.status).toBe(200);

      // A real change: a worker restarted with a new peer id.
      const moved = await http<Envelope<Agent>>('POST', '/api/v1/agents/', {
        token: alice,
        body: { ...body, peer_id: '12D3KooWmoved' },
      });
      expect(moved.status).toBe(200);
      expect(moved.body.data.peer_id).toBe('12D3KooWmoved');
      expect(moved.body.data.created_at).toBe(created.body.data.created_at);

      await waitFor('the change event', async () =>
        (await totalCount(nc, subject)) >= 2 ? true : undefined,
      );
      const messages = await readSubject(nc, subject);
      const events = messages.map((m) => m.json<AgentEvent>());
      expect(events.map((e) => e.previous_status)).toEqual([null, 'registered']);
      expect(events[0]?.record).toEqual(created.body.data);
      expect(events[1]?.record).toEqual(moved.body.data);
      expect(messages.map((m) => m.headers?.get('Nats-Msg-Id'))).toEqual(events.map((e) => e.id));
      // Exactly two: the repeated registrations added nothing, and the later sentinel proves the
      // relay has published everything written before it.
      await flushEvents();
      expect(await totalCount(nc, subject)).toBe(2);
    });

    it('a body over BODY_LIMIT is a 413 envelope, as JSON and as a form', async () => {
      const big = registration({ name: 'x'.repeat(BODY_LIMIT + 100) });
      for (const body of [big, new URLSearchParams(big)]) {
        const res = await http<Envelope<null>>('POST', '/api/v1/agents/', { token: alice, body });
        expect(res.status, body.constructor.name).toBe(413);
        expect(res.body, body.constructor.name).toEqual({
          data: null,
          message: `request body is larger than the ${BODY_LIMIT}-byte limit`,
        });
      }
      expect((await listAgents(alice)).map((a) => a.id)).not.toContain(big.id);
    });

    it('an oversized multipart body is refused with 413 and nothing is stored', async () => {
      const big = registration({ name: 'x'.repeat(BODY_LIMIT + 100) });
      const form = new FormData();
      for (const [k, v] of Object.entries(big)) form.append(k, v);
      const res = await http<Envelope<null>>('POST', '/api/v1/agents/', {
        token: alice,
        body: form,
      });
      expect(res.status).toBe(413);
      expect(res.body).toEqual({
        data: null,
        message: `request body is larger than the ${BODY_LIMIT}-byte limit`,
      });
      expect((await listAgents(alice)).map((a) => a.id)).not.toContain(big.id);
    });
  });

  describe('with the tasks service gone', () => {
    it('commands fail as a 503 envelope while the gateway itself stays up', async () => {
      await tasks.stop();
      expect(tasks.child.exitCode).toBe(0);

      const res = await http<Envelope<null>>('GET', '/api/v1/agents/', { token: alice });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        data: null,
        message: 'no service is answering svc.tasks.agent.list',
      });
      expect((await http('GET', '/api/v1/users/me/', { token: alice })).status).toBe(200);
      expect((await http('GET', '/healthz')).status).toBe(200);
    });
  });
});
