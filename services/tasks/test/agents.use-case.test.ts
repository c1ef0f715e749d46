import { describeOnDatabases } from '@media-vault/test-harness/databases';
import { EventSubjects, VaultError, type AgentEvent } from '@media-vault/contracts';
import type { OpenDatabase } from '@media-vault/service-kit';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agents } from '../src/agents/agents.use-case.js';
import type { schema } from '../src/db/index.js';
import { agents, outbox } from '../src/db/schema.js';
import { principal, registration, openTasksDatabase } from './helpers.js';

const SEED_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

describeOnDatabases('Agents use case on $driver', (backend) => {
  const { driver } = backend;
  let database: OpenDatabase<typeof schema>;
  let opened: Awaited<ReturnType<typeof openTasksDatabase>> | undefined;
  let agentsUseCase: Agents;
  const alice = principal(`alice-${driver}`);
  const bob = principal(`bob-${driver}`);

  const eventsFor = async (id: string) =>
    (
      await database.db
        .select()
        .from(outbox)
        .where(eq(outbox.subject, EventSubjects.agent(id)))
        .orderBy(asc(outbox.id))
    ).map((row) => ({ msgId: row.msgId, payload: row.payload as AgentEvent }));
  const rowsFor = (id: string) => database.db.select().from(agents).where(eq(agents.id, id));

  beforeAll(async () => {
    opened = await openTasksDatabase(backend, 'tasks_repo');
    database = opened.database;
    agentsUseCase = new Agents(database.db);
  });

  afterAll(async () => {
    await opened?.close();
  });

  it(`runs on ${driver}`, () => {
    expect(database.driver).toBe(driver);
  });

  it('registers a new agent: one row and one outbox event in the same transaction', async () => {
    const body = registration({ name: 'laptop' });
    const { agent, changed } = await agentsUseCase.register(alice, body);

    expect(changed).toBe(true);
    expect(agent).toMatchObject({
      id: body.id,
      user_id: alice.id,
      name: 'laptop',
      peer_id: body.peer_id,
      public_key: body.public_key,
      signing_key: body.signing_key,
    });
    expect(agent.created_at).toMatch(SEED_TIME);
    expect(agent.updated_at).toBe(agent.created_at);

    const rows = await rowsFor(body.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ userId: alice.id, peerId: body.peer_id, name: 'laptop' });

    const events = await eventsFor(body.id);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event?.msgId).toBe(event?.payload.id);
    expect(event?.payload).toMatchObject({
      type: 'agent.registered',
      previous_status: null,
      status: 'registered',
      record: agent,
    });
    expect(Date.parse(event!.payload.at)).not.toBeNaN();
  });

  it('a name left out defaults to empty', async () => {
    const { agent } = await agentsUseCase.register(alice, registration());
    expect(agent.name).toBe('');
  });

  it('re-registering unchanged reports changed: false and writes no event', async () => {
    const body = registration({ name: 'desk' });
    const first = await agentsUseCase.register(alice, body);

    const again = await agentsUseCase.register(alice, { ...body });
    // Leaving the name out means "keep it", so this is unchanged too.
    const nameless = await agentsUseCase.register(alice, { ...body, name: undefined });

    expect(again).toEqual({ agent: first.agent, changed: false });
    expect(nameless).toEqual({ agent: first.agent, changed: false });
    expect(await eventsFor(body.id)).toHaveLength(1);
  });

  it('a new peer id updates the agent and emits an event with previous_status registered', async () => {
    const body = registration({ name: 'nas' });
    const first = await agentsUseCase.register(alice, body);

    const second = await agentsUseCase.register(alice, { ...body, peer_id: '12D3KooWmoved' });

    expect(second.changed).toBe(true);
    expect(second.agent).toMatchObject({ id: body.id, peer_id: '12D3KooWmoved', name: 'nas' });
    expect(second.agent.created_at).toBe(first.agent.created_at);
    expect(second.agent.updated_at >= first.agent.updated_at).toBe(true);
    const [row] = await rowsFor(body.id);
    expect(row?.peerId).toBe('12D3KooWmoved');

    const events = await eventsFor(body.id);
    expect(events.map((e) => e.payload.previous_status)).toEqual([null, 'registered']);
    expect(events[1]?.payload.record).toEqual(second.agent);
    expect(new Set(events.map((e) => e.msgId)).size).toBe(2);
  });

  it.each([
    ['public_key', { public_key: 'K'.repeat(43) }],
    ['signing_key', { signing_key: 'S'.repeat(43) }],
    ['name', { name: 'renamed' }],
  ])('a changed %s is a change too', async (_field, change) => {
    const body = registration({ name: 'before' });
    await agentsUseCase.register(alice, body);
    const { agent, changed } = await agentsUseCase.register(alice, { ...body, ...change });
    expect(changed).toBe(true);
    expect(agent).toMatchObject(change);
    expect(await eventsFor(body.id)).toHaveLength(2);
  });

  it('accepts keys in base64 and in base64url alike', async () => {
    // 0xfb 0xff… encodes with '+' and '/' in base64 and with '-' and '_' in base64url.
    const bytes = Buffer.alloc(32, 0xfb);
    const body = registration({
      public_key: bytes.toString('base64'),
      signing_key: bytes.toString('base64url'),
    });
    expect(body.public_key).toMatch(/[+/]/);
    expect(body.signing_key).toMatch(/[-_]/);
    const { agent } = await agentsUseCase.register(alice, body);
    expect(agent.public_key).toBe(body.public_key);
    expect(agent.signing_key).toBe(body.signing_key);
  });

  it.each(['public_key', 'signing_key'] as const)(
    'refuses an all-zero %s as badRequest and writes nothing',
    async (field) => {
      const body = registration({ [field]: Buffer.alloc(32).toString('base64') });
      const err = await agentsUseCase.register(alice, body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VaultError);
      expect(err).toMatchObject({ kind: 'badRequest' });
      expect((err as Error).message).toMatch(new RegExp(`^${field}: `));
      expect(await rowsFor(body.id)).toHaveLength(0);
      expect(await eventsFor(body.id)).toHaveLength(0);
    },
  );

  it('the same id registered by another user is alreadyExists, and nothing changes', async () => {
    const body = registration();
    const mine = await agentsUseCase.register(alice, body);

    const err = await agentsUseCase
      .register(bob, { ...body, peer_id: '12D3KooWthief' })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(VaultError);
    expect(err).toMatchObject({ kind: 'alreadyExists' });
    expect((err as VaultError).message).toContain(body.id);
    const rows = await rowsFor(body.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ userId: alice.id, peerId: mine.agent.peer_id });
    expect(await eventsFor(body.id)).toHaveLength(1);
  });

  it("listForUser returns only that user's agents, oldest first", async () => {
    const carol = principal(`carol-${driver}`);
    const dave = principal(`dave-${driver}`);
    const c1 = await agentsUseCase.register(carol, registration({ name: 'c1' }));
    const d1 = await agentsUseCase.register(dave, registration({ name: 'd1' }));
    const c2 = await agentsUseCase.register(carol, registration({ name: 'c2' }));

    expect(await agentsUseCase.listForUser(carol.id)).toEqual([c1.agent, c2.agent]);
    expect(await agentsUseCase.listForUser(dave.id)).toEqual([d1.agent]);
    expect(await agentsUseCase.listForUser(`nobody-${driver}`)).toEqual([]);
  });

  it('concurrent registrations of one id by its user give one row, one event and no error', async () => {
    const body = registration({ name: 'race' });

    const results = await Promise.all(
      Array.from({ length: 8 }, () => agentsUseCase.register(alice, { ...body })),
    );

    expect(results.filter((r) => r.changed)).toHaveLength(1);
    for (const r of results) expect(r.agent).toEqual(results[0]?.agent);
    expect(await rowsFor(body.id)).toHaveLength(1);
    expect(await eventsFor(body.id)).toHaveLength(1);
  });

  it('concurrent changes of one agent serialise: one row, one event per change', async () => {
    const body = registration();
    const peers = Array.from({ length: 6 }, (_, i) => `12D3KooWpeer${i}`);

    const results = await Promise.all(
      peers.map((peer_id) => agentsUseCase.register(alice, { ...body, peer_id })),
    );

    expect(results.every((r) => r.changed)).toBe(true);
    const rows = await rowsFor(body.id);
    expect(rows).toHaveLength(1);
    const events = await eventsFor(body.id);
    expect(events).toHaveLength(peers.length);
    expect(events.filter((e) => e.payload.previous_status === null)).toHaveLength(1);
    // The row ends as the last change the events describe.
    expect(events.at(-1)?.payload.record.peer_id).toBe(rows[0]?.peerId);
  });

  it('concurrent registrations of one id by different users: one owner, the rest alreadyExists', async () => {
    const body = registration();
    const users = Array.from({ length: 5 }, (_, i) => principal(`racer${i}-${driver}`));

    const outcomes = await Promise.allSettled(
      users.map((u) => agentsUseCase.register(u, { ...body })),
    );

    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o) => o.status === 'rejected');
    expect(won).toHaveLength(1);
    for (const o of lost) expect(o.reason).toMatchObject({ kind: 'alreadyExists' });
    const rows = await rowsFor(body.id);
    expect(rows).toHaveLength(1);
    expect(won[0]?.status === 'fulfilled' && won[0].value.agent.user_id).toBe(rows[0]?.userId);
    expect(await eventsFor(body.id)).toHaveLength(1);
  });
});
