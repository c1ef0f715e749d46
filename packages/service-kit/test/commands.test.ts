import {
  CommandSubjects,
  PrincipalHeader,
  VaultError,
  type Agent,
  type Principal,
  type RegisterAgentBody,
} from '@media-vault/contracts';
import { Svcm } from '@nats-io/services';
import {
  connectAs,
  freePort,
  natsAccess,
  testPrincipalKeys,
  testSigner,
} from '@media-vault/test-harness';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { SignJWT } from 'jose';
import { createHash, createPrivateKey, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { sendCommand } from '../src/command-client.js';
import { serveCommands, type CommandContext, type CommandHandlers } from '../src/commands.js';
import { Metrics } from '../src/metrics.js';
import {
  bodyDigest,
  createPrincipalSigner,
  createPrincipalVerifier,
  generatePrincipalKeyPair,
} from '../src/principal-token.js';
import { silentLog } from './helpers.js';

const servers = inject('servers');

const alice: Principal = { id: 'alice', name: 'Alice', roles: [] };
const bob: Principal = { id: 'bob@example.org', name: 'Bob', roles: [1] };
const key = 'A'.repeat(43);
const signer = testSigner;
const verifier = createPrincipalVerifier([testPrincipalKeys.publicKey]);

const body = (over: Partial<RegisterAgentBody> = {}): RegisterAgentBody => ({
  id: 'agent-1',
  peer_id: '12D3KooWtest',
  public_key: key,
  signing_key: `${'B'.repeat(43)}=`,
  ...over,
});

const agentOf = (request: RegisterAgentBody, principal: Principal): Agent => ({
  id: request.id,
  user_id: principal.id,
  name: request.name ?? '',
  peer_id: request.peer_id,
  public_key: request.public_key,
  signing_key: request.signing_key,
  owner_key: request.owner_key ?? '',
  created_at: '2026-01-02 03:04:05',
  updated_at: '2026-01-02 03:04:05',
});

/** The gateway's signing key as a key object, for tokens the signer would never make. */
const gatewayKey = () =>
  createPrivateKey({
    key: Buffer.concat([
      Buffer.from('302e020100300506032b657004220420', 'hex'),
      Buffer.from(testPrincipalKeys.signingKey, 'base64'),
    ]),
    format: 'der',
    type: 'pkcs8',
  });
const kidOf = (publicKey: string) =>
  createHash('sha256').update(Buffer.from(publicKey, 'base64')).digest('hex').slice(0, 16);
const unsigned = (claims: object) =>
  `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

const errorHeaders = (msg: { headers?: { get(k: string): string } | undefined }) => ({
  code: msg.headers?.get('Nats-Service-Error-Code'),
  message: msg.headers?.get('Nats-Service-Error'),
});

/** The tasks subjects these tests do not exercise: served so the handler map stays exhaustive. */
const notUnderTest = Object.fromEntries(
  Object.values(CommandSubjects)
    .filter((subject) => subject.startsWith('svc.tasks.'))
    .map((subject) => [
      subject,
      async () => {
        throw new Error(`${subject} is not under test`);
      },
    ]),
) as unknown as CommandHandlers<'tasks'>;

/** A real query through the services' driver to a port where no Postgres listens. */
async function queryUnreachablePostgres(): Promise<void> {
  const client = postgres(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, {
    max: 1,
    connect_timeout: 5,
  });
  try {
    await drizzle(client).execute(sql`select 1`);
  } finally {
    await client.end({ timeout: 1 });
  }
}

/** Test handlers for the real tasks subjects: they record what reached them and fail on demand. */
const testHandlers = () => {
  const seen: { subject: string; request: unknown; ctx: CommandContext }[] = [];
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const handlers: CommandHandlers<'tasks'> = {
    ...notUnderTest,
    [CommandSubjects.agentRegister]: async (request, ctx) => {
      seen.push({ subject: CommandSubjects.agentRegister, request, ctx });
      if (request.name === 'not-found') throw new VaultError('notFound', 'no such agent here');
      if (request.name === 'conflict') throw new VaultError('alreadyExists', 'taken');
      if (request.name === 'explode') throw new Error('database password is hunter2');
      if (request.name === 'slow') await held;
      if (request.name === 'database-down') await queryUnreachablePostgres();
      return agentOf(request, ctx.principal);
    },
    [CommandSubjects.agentList]: async (request, ctx) => {
      seen.push({ subject: CommandSubjects.agentList, request, ctx });
      return [
        agentOf(body({ id: `of-${ctx.principal.id.replace(/[^\w-]/g, '_')}` }), ctx.principal),
      ];
    },
  };
  return { seen, handlers, release };
};

describe('serveCommands and sendCommand', () => {
  let nc: NatsConnection;
  let service: { stop(): Promise<void> } | undefined;
  let metrics: Metrics;
  let state: ReturnType<typeof testHandlers>;

  beforeAll(async () => {
    nc = await connectAs(natsAccess(servers));
  });

  afterAll(async () => {
    state?.release();
    await service?.stop();
    await nc?.drain();
  });

  it('with no service running, a command fails as unavailable', async () => {
    const err = await sendCommand(
      nc,
      CommandSubjects.agentList,
      {},
      { principal: alice, signer },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultError);
    expect((err as VaultError).kind).toBe('unavailable');
    expect((err as VaultError).message).toContain(CommandSubjects.agentList);
  });

  describe('with the service running', () => {
    beforeAll(async () => {
      metrics = new Metrics('tasks-test');
      state = testHandlers();
      service = await serveCommands(nc, {
        service: 'tasks',
        version: '9.9.9',
        description: 'commands under test',
        handlers: state.handlers,
        log: silentLog,
        metrics,
        verifier,
      });
    });

    afterEach(() => {
      state.seen.length = 0;
    });

    it('round-trips a valid command with its principal and request id', async () => {
      const agent = await sendCommand(nc, CommandSubjects.agentRegister, body({ name: 'n' }), {
        principal: bob,
        signer,
        requestId: 'req-42',
      });
      expect(agent).toEqual(agentOf(body({ name: 'n' }), bob));
      expect(state.seen).toHaveLength(1);
      expect(state.seen[0]?.ctx.principal).toEqual(bob);
      expect(state.seen[0]?.ctx.requestId).toBe('req-42');
      expect(state.seen[0]?.request).toEqual(body({ name: 'n' }));

      const list = await sendCommand(
        nc,
        CommandSubjects.agentList,
        {},
        { principal: alice, signer },
      );
      expect(list.map((a) => a.user_id)).toEqual(['alice']);
      // Without one from the caller, each command gets its own, so its log lines can be followed.
      expect(state.seen[1]?.ctx.requestId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('refuses an invalid request as badRequest naming the field, before the handler', async () => {
      const cases: [unknown, string][] = [
        [body({ id: 'has space' }), 'id'],
        [body({ id: 'a.b' }), 'id'],
        [{ ...body(), peer_id: undefined }, 'peer_id'],
        [body({ public_key: 'not base64!'.padEnd(43, '?') }), 'public_key'],
        [body({ signing_key: 'A'.repeat(42) }), 'signing_key'],
        [{ ...body(), colour: 'blue' }, 'colour'],
      ];
      for (const [request, field] of cases) {
        const err = await sendCommand(
          nc,
          CommandSubjects.agentRegister,
          request as RegisterAgentBody,
          { principal: alice, signer },
        ).catch((e: unknown) => e);
        expect(err, field).toBeInstanceOf(VaultError);
        expect((err as VaultError).kind, field).toBe('badRequest');
        expect((err as VaultError).message, field).toMatch(new RegExp(`^${field}: `));
      }
      expect(state.seen).toHaveLength(0);
    });

    it('refuses a body that is not JSON as badRequest', async () => {
      const raw = new TextEncoder().encode('{"id": ');
      const h = headers();
      h.set(PrincipalHeader, await signer.sign(alice, CommandSubjects.agentRegister, 'r0', raw));
      const reply = await nc.request(CommandSubjects.agentRegister, raw, {
        headers: h,
        timeout: 5_000,
      });
      expect(errorHeaders(reply)).toEqual({
        code: '400',
        message: 'request body is not valid JSON',
      });
      expect(state.seen).toHaveLength(0);
    });

    it('refuses a request without a principal header with code 401', async () => {
      const reply = await nc.request(CommandSubjects.agentList, '{}');
      expect(errorHeaders(reply)).toEqual({ code: '401', message: 'no principal on the request' });
      expect(reply.data).toHaveLength(0);
      expect(state.seen).toHaveLength(0);
    });

    it('refuses principals it cannot verify with code 401: bare, forged, misdirected, stale', async () => {
      const list = CommandSubjects.agentList;
      const payload = new TextEncoder().encode('{}');
      const other = createPrincipalSigner(generatePrincipalKeyPair().signingKey);
      // A token as the gateway's key would sign it, with claims chosen by the test.
      const craft = (claims: Record<string, unknown>, iat: number, exp: number) =>
        new SignJWT({ name: 'Root', roles: [1], rid: 'r1', bdy: bodyDigest(payload), ...claims })
          .setProtectedHeader({ alg: 'EdDSA', kid: kidOf(testPrincipalKeys.publicKey) })
          .setIssuer('media-vault-gateway')
          .setSubject('root')
          .setAudience(list)
          .setJti(randomUUID())
          .setIssuedAt(iat)
          .setExpirationTime(exp)
          .sign(gatewayKey());
      const now = Math.floor(Date.now() / 1000);
      const bad: [string, string][] = [
        ['a bare JSON principal', JSON.stringify({ id: 'root', name: '', roles: [1] })],
        ['not a token', 'not json'],
        ['signed by another key', await other.sign(alice, list, 'r1', payload)],
        [
          'issued for another command',
          await signer.sign(alice, CommandSubjects.agentRegister, 'r1', payload),
        ],
        [
          'issued for another body',
          await signer.sign(alice, list, 'r1', new TextEncoder().encode('{"x":1}')),
        ],
        ['expired', await craft({}, now - 120, now - 60)],
        ['living too long', await craft({}, now, now + 3600)],
        ['with an unsigned algorithm', unsigned({ sub: 'root', roles: [1], aud: list })],
      ];
      for (const [what, token] of bad) {
        const h = headers();
        h.set(PrincipalHeader, token);
        const reply = await nc.request(list, payload, { headers: h, timeout: 5_000 });
        expect(errorHeaders(reply).code, what).toBe('401');
      }
      expect(state.seen).toHaveLength(0);
    });

    it('accepts a principal once: the same message sent again is refused', async () => {
      const payload = new TextEncoder().encode('{}');
      const h = headers();
      h.set(PrincipalHeader, await signer.sign(alice, CommandSubjects.agentList, 'r2', payload));
      const first = await nc.request(CommandSubjects.agentList, payload, {
        headers: h,
        timeout: 5_000,
      });
      expect(errorHeaders(first).code).toBeUndefined();
      const again = await nc.request(CommandSubjects.agentList, payload, {
        headers: h,
        timeout: 5_000,
      });
      expect(errorHeaders(again)).toEqual({
        code: '401',
        message: 'caller not verified: the principal was already used',
      });
      expect(state.seen).toHaveLength(1);
    });

    it('an empty body counts as {}', async () => {
      const h = headers();
      h.set(
        PrincipalHeader,
        await signer.sign(alice, CommandSubjects.agentList, 'r0', new Uint8Array()),
      );
      const reply = await nc.request(CommandSubjects.agentList, undefined, {
        headers: h,
        timeout: 5_000,
      });
      expect(reply.headers?.get('Nats-Service-Error-Code') ?? '').toBe('');
      expect(reply.json<Agent[]>()).toHaveLength(1);
    });

    it('a VaultError thrown by the handler arrives at the client with its kind and message', async () => {
      const notFound = await sendCommand(
        nc,
        CommandSubjects.agentRegister,
        body({ name: 'not-found' }),
        { principal: alice, signer },
      ).catch((e: unknown) => e);
      expect(notFound).toBeInstanceOf(VaultError);
      expect(notFound).toMatchObject({ kind: 'notFound', message: 'no such agent here' });

      // alreadyExists has its own bus code (410) distinct from conflict, and must survive the trip.
      const exists = await sendCommand(
        nc,
        CommandSubjects.agentRegister,
        body({ name: 'conflict' }),
        { principal: alice, signer },
      ).catch((e: unknown) => e);
      expect(exists).toMatchObject({ kind: 'alreadyExists', message: 'taken' });
    });

    it('a plain Error from the handler becomes internal, without leaking its message', async () => {
      const err = await sendCommand(nc, CommandSubjects.agentRegister, body({ name: 'explode' }), {
        principal: alice,
        signer,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VaultError);
      expect(err).toMatchObject({ kind: 'internal', message: 'internal error' });
      expect((err as Error).message).not.toContain('hunter2');
    });

    it('a database that cannot be reached is unavailable (503), not an internal error', async () => {
      const err = await sendCommand(
        nc,
        CommandSubjects.agentRegister,
        body({ name: 'database-down' }),
        { principal: alice, signer },
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VaultError);
      expect(err).toMatchObject({
        kind: 'unavailable',
        message: 'the database is unavailable; try again shortly',
      });
    });

    it('a handler that does not answer in time fails as timeout', async () => {
      const err = await sendCommand(nc, CommandSubjects.agentRegister, body({ name: 'slow' }), {
        principal: alice,
        signer,
        timeoutMs: 300,
      }).catch((e: unknown) => e);
      state.release();
      expect(err).toBeInstanceOf(VaultError);
      expect((err as VaultError).kind).toBe('timeout');
    });

    it('counts every command by subject and outcome', async () => {
      const text = await metrics.registry.getSingleMetricAsString('vault_commands_total');
      const count = (subject: string, outcome: string) => {
        const line = text
          .split('\n')
          .find((l) => l.includes(`subject="${subject}"`) && l.includes(`outcome="${outcome}"`));
        return line ? Number(line.split(' ').pop()) : 0;
      };
      expect(count(CommandSubjects.agentRegister, 'ok')).toBeGreaterThanOrEqual(1);
      expect(count(CommandSubjects.agentRegister, 'badRequest')).toBe(7);
      expect(count(CommandSubjects.agentList, 'unauthenticated')).toBe(10);
      expect(count(CommandSubjects.agentRegister, 'notFound')).toBe(1);
      expect(count(CommandSubjects.agentRegister, 'alreadyExists')).toBe(1);
      expect(count(CommandSubjects.agentRegister, 'internal')).toBe(1);
    });

    it('is discoverable with $SRV.PING and $SRV.INFO', async () => {
      const svcm = new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]);
      const client = svcm.client({ strategy: 'stall', maxWait: 5_000, stall: 500 });

      const pings = [];
      for await (const p of await client.ping('tasks')) pings.push(p);
      expect(pings).toHaveLength(1);
      expect(pings[0]).toMatchObject({ name: 'tasks', version: '9.9.9' });

      const infos = [];
      for await (const i of await client.info('tasks')) infos.push(i);
      expect(infos[0]?.description).toBe('commands under test');
      const endpoints = (infos[0]?.endpoints ?? []).map((e) => [e.subject, e.queue_group]).sort();
      // Every tasks subject is an endpoint of its own, in the service's queue group.
      const tasksSubjects = Object.values(CommandSubjects).filter((s) =>
        s.startsWith('svc.tasks.'),
      );
      expect(endpoints).toEqual(tasksSubjects.map((subject) => [subject, 'tasks']).sort());
      expect(endpoints).toContainEqual([CommandSubjects.agentRegister, 'tasks']);
    });

    it('replicas share requests through the queue group: each is handled once', async () => {
      const second = testHandlers();
      const replica = await serveCommands(nc, {
        service: 'tasks',
        version: '9.9.9',
        description: 'second replica',
        handlers: second.handlers,
        log: silentLog,
        metrics: new Metrics('tasks-replica'),
        verifier,
      });
      try {
        const n = 40;
        await Promise.all(
          Array.from({ length: n }, () =>
            sendCommand(nc, CommandSubjects.agentList, {}, { principal: alice, signer }),
          ),
        );
        expect(state.seen.length + second.seen.length).toBe(n);
      } finally {
        await replica.stop();
      }
    });

    it('after stop, commands fail as unavailable again', async () => {
      await service?.stop();
      service = undefined;
      const err = await sendCommand(
        nc,
        CommandSubjects.agentList,
        {},
        { principal: alice, signer },
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'unavailable' });
    });
  });
});
