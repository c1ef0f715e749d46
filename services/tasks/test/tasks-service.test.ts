import { describeOnDatabases, type TestDatabase } from '@media-vault/test-harness/databases';
import {
  CommandSubjects,
  EventSubjects,
  VaultError,
  type AgentEvent,
} from '@media-vault/contracts';
import { sendCommand } from '@media-vault/service-kit';
import {
  connectAs,
  natsAccess,
  natsEnv,
  principalVerifyEnv,
  testSigner,
} from '@media-vault/test-harness';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { loadTasksConfig } from '../src/config.js';
import { startTasksService, type TasksService } from '../src/tasks-service.js';
import { principal, readSubject, registration, subjectCount, waitFor } from './helpers.js';

const servers = inject('servers');

// Each block starts and stops its own service; they run one after the other, so only one
// instance serves the tasks subjects at a time on the shared nats-server.
describeOnDatabases('tasks service on $driver, over NATS', (backend) => {
  const { driver } = backend;
  let service: TasksService;
  let nc: NatsConnection;
  let database: TestDatabase | undefined;
  const alice = principal(`alice-svc-${driver}`);
  const bob = principal(`bob-svc-${driver}`);

  beforeAll(async () => {
    const env: Record<string, string> = {
      ...(await natsEnv(natsAccess(servers), { kind: 'tasks' })),
      ...principalVerifyEnv(),
      HEALTH_PORT: '0',
      LOG_LEVEL: 'silent',
    };
    database = await backend.create('tasks_svc');
    Object.assign(env, database.env);
    service = await startTasksService(loadTasksConfig(env));
    nc = await connectAs(natsAccess(servers));
  });

  afterAll(async () => {
    await nc?.drain();
    await service?.close();
    await database?.remove();
  });

  it(`uses ${driver} and serves health endpoints on a free port`, async () => {
    expect(service.runtime.database.driver).toBe(driver);
    expect(service.healthPort).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${service.healthPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', failures: [] });
  });

  it('registers an agent over svc.tasks.agent.register and publishes its event', async () => {
    const body = registration({ name: 'e2e' });
    const subject = EventSubjects.agent(body.id);

    const agent = await sendCommand(nc, CommandSubjects.agentRegister, body, {
      principal: alice,
      signer: testSigner,
      requestId: 'tasks-e2e-1',
    });

    expect(agent).toMatchObject({ id: body.id, user_id: alice.id, name: 'e2e' });
    expect(agent.created_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    // The handler notifies the relay after the commit, so the event follows promptly.
    await waitFor('the registration event', async () =>
      (await subjectCount(nc, subject)) === 1 ? true : undefined,
    );
    const [message] = await readSubject(nc, subject);
    const event = message!.json<AgentEvent>();
    expect(message!.headers?.get('Nats-Msg-Id')).toBe(event.id);
    expect(event).toMatchObject({
      type: 'agent.registered',
      previous_status: null,
      status: 'registered',
      record: agent,
    });

    const list = await sendCommand(
      nc,
      CommandSubjects.agentList,
      {},
      { principal: alice, signer: testSigner },
    );
    expect(list).toContainEqual(agent);
  });

  it('emits one event per real change only', async () => {
    const body = registration();
    const subject = EventSubjects.agent(body.id);
    await sendCommand(nc, CommandSubjects.agentRegister, body, {
      principal: alice,
      signer: testSigner,
    });
    // Unchanged: no event. A later real change proves the relay ran past this point.
    await sendCommand(nc, CommandSubjects.agentRegister, body, {
      principal: alice,
      signer: testSigner,
    });
    await sendCommand(
      nc,
      CommandSubjects.agentRegister,
      { ...body, peer_id: '12D3KooWnew' },
      {
        principal: alice,
        signer: testSigner,
      },
    );

    await waitFor('both change events', async () =>
      (await subjectCount(nc, subject)) >= 2 ? true : undefined,
    );
    const events = (await readSubject(nc, subject)).map((m) => m.json<AgentEvent>());
    expect(events.map((e) => [e.previous_status, e.record.peer_id])).toEqual([
      [null, body.peer_id],
      ['registered', '12D3KooWnew'],
    ]);
    expect(await service.runtime.relay.pending()).toBe(0);
  });

  it('maps repository and validation failures to error kinds on the bus', async () => {
    const body = registration();
    await sendCommand(nc, CommandSubjects.agentRegister, body, {
      principal: alice,
      signer: testSigner,
    });

    const taken = await sendCommand(nc, CommandSubjects.agentRegister, body, {
      principal: bob,
      signer: testSigner,
    }).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(VaultError);
    expect(taken).toMatchObject({ kind: 'alreadyExists' });

    const invalid = await sendCommand(
      nc,
      CommandSubjects.agentRegister,
      { ...body, id: 'no.dots' },
      { principal: alice, signer: testSigner },
    ).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ kind: 'badRequest' });
    expect((invalid as Error).message).toMatch(/^id: /);

    // Bob sees none of Alice's agents.
    const bobs = await sendCommand(
      nc,
      CommandSubjects.agentList,
      {},
      { principal: bob, signer: testSigner },
    );
    expect(bobs).toEqual([]);
  });

  it('counts commands in /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${service.healthPort}/metrics`)).text();
    expect(text).toMatch(
      /vault_commands_total\{subject="svc\.tasks\.agent\.register",outcome="ok",service="tasks"\} \d+/,
    );
    expect(text).toMatch(/vault_commands_total\{[^}]*outcome="alreadyExists"[^}]*\} 1/);
  });

  it('after close, commands fail as unavailable', async () => {
    await service.close();
    const err = await sendCommand(
      nc,
      CommandSubjects.agentList,
      {},
      { principal: alice, signer: testSigner },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unavailable' });
  });
});
