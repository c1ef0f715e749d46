import {
  agentConsumerName,
  agentJobSubject,
  composeConsumer,
  JobSubjects,
  SealJob,
  Streams,
} from '@media-vault/contracts';
import { consumeJobs, publishJob, createLogger } from '@media-vault/service-kit';
import { connectAs, startNats, waitFor, type StartedNats } from '@media-vault/test-harness';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const log = createLogger('test', 'silent');

const sealJob = (agent: string, taskId: number): SealJob => ({
  id: `${agent}-${taskId}`,
  agent,
  userId: 'u1',
  taskId,
  sourceId: taskId,
  uuid: `uuid-${taskId}`,
  sourceName: 'ep.mov',
  path: 'ep.mov',
});

/** 'allowed', or 'refused' when (and only when) the server refused it for permissions. */
const fails = (work: Promise<unknown>) =>
  work.then(
    () => 'allowed',
    (err: unknown) => {
      for (let e: unknown = err; e instanceof Error; e = e.cause) {
        if (/Permissions Violation/.test(e.message)) return 'refused';
      }
      return `failed otherwise: ${String(err)}`;
    },
  );

/**
 * The permissions an agent's NATS user has, on a real nats-server in operator mode: the
 * agent takes its own jobs and runs its own compose step, and nothing of another agent's.
 */
describe('agent NATS permissions', () => {
  let nats: StartedNats;
  let platform: NatsConnection;
  let agent: NatsConnection;

  beforeAll(async () => {
    nats = await startNats();
    platform = await connectAs(nats);
    agent = await connectAs(nats, { kind: 'agent', agent: 'agent-a' });
  });

  afterAll(async () => {
    await agent?.close();
    await platform?.close();
    await nats?.stop();
  });

  it('takes the jobs addressed to it and publishes its compose requests', async () => {
    await publishJob(platform, JobSubjects.seal('agent-a'), sealJob('agent-a', 1), 'a-1');
    const taken: SealJob[] = [];
    const consumer = await consumeJobs(agent, {
      durable: agentConsumerName('agent-a', 'seal'),
      subject: agentJobSubject('agent-a', 'seal'),
      schema: SealJob,
      handle: async (job) => void taken.push(job),
      log,
    });
    try {
      await waitFor('the job', () => taken.length === 1);
      expect(taken[0]).toMatchObject({ agent: 'agent-a', taskId: 1 });
      const jsm = await jetstreamManager(platform);
      await waitFor('the ack', async () => {
        const info = await jsm.consumers.info(
          Streams.jobs.name,
          agentConsumerName('agent-a', 'seal'),
        );
        return info.num_ack_pending === 0 && info.num_pending === 0;
      });
    } finally {
      await consumer.stop();
    }
    const compose = JobSubjects.compose('agent-a');
    expect(await fails(jetstream(agent).publish(compose, '{}', { timeout: 2_000 }))).toBe(
      'allowed',
    );
  });

  it("takes its own compose step and answers it, and not another agent's", async () => {
    const own = composeConsumer('agent-a');
    const consume = (durable: string, subject: string) =>
      consumeJobs(agent, { durable, subject, schema: SealJob, handle: async () => {}, log });
    const consumer = await consume(own.name, own.subject);
    await consumer.stop();
    const composed = JobSubjects.composed('agent-a');
    expect(await fails(jetstream(agent).publish(composed, '{}', { timeout: 2_000 }))).toBe(
      'allowed',
    );

    const other = composeConsumer('agent-b');
    expect(await fails(consume(other.name, other.subject))).toBe('refused');
    expect(
      await fails(
        jetstream(agent).publish(JobSubjects.composed('agent-b'), '{}', { timeout: 2_000 }),
      ),
    ).toBe('refused');
  });

  it("cannot reach another agent's jobs by any consumer, nor publish them", async () => {
    await publishJob(platform, JobSubjects.seal('agent-b'), sealJob('agent-b', 2), 'b-2');
    const jsm = await jetstreamManager(platform);
    await jsm.consumers.add(Streams.jobs.name, {
      durable_name: agentConsumerName('agent-b', 'seal'),
      filter_subject: JobSubjects.seal('agent-b'),
      ack_policy: AckPolicy.Explicit,
    });
    const consume = (durable: string, subject: string) =>
      consumeJobs(agent, { durable, subject, schema: SealJob, handle: async () => {}, log });

    // Agent b's consumer, under its name; a consumer of agent a's name aimed at agent b's jobs.
    expect(
      await fails(consume(agentConsumerName('agent-b', 'seal'), JobSubjects.seal('agent-b'))),
    ).toBe('refused');
    expect(
      await fails(consume(agentConsumerName('agent-a', 'fetch'), JobSubjects.seal('agent-b'))),
    ).toBe('refused');
    expect(
      await fails(
        jetstream(agent)
          .consumers.get(Streams.jobs.name, agentConsumerName('agent-b', 'seal'))
          .then((c) => c.next({ expires: 1_000 })),
      ),
    ).toBe('refused');
    expect(
      await fails(jetstream(agent).publish(JobSubjects.seal('agent-b'), '{}', { timeout: 2_000 })),
    ).toBe('refused');

    // Agent b's job is still there, untouched.
    const info = await jsm.consumers.info(Streams.jobs.name, agentConsumerName('agent-b', 'seal'));
    expect(info.num_pending).toBe(1);
  });
});
