import { Type } from '@sinclair/typebox';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { consumeJobs, PermanentJobError, publishJob, type JobContext } from '../src/jobs.js';
import { connectAs, natsAccess } from '@media-vault/test-harness';
import { silentLog, waitFor } from './helpers.js';
import { Streams } from '@media-vault/contracts';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

const servers = inject('servers');
const Job = Type.Object({ n: Type.Integer() });
let runs = 0;
const unique = () => `${Date.now().toString(36)}${++runs}`;

/** Jobs left on JOBS under `subject`: a work queue drops a job once it is acked or terminated. */
async function left(nc: NatsConnection, subject: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(Streams.jobs.name, { subjects_filter: subject });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

describe('consumeJobs on a real JetStream work queue', () => {
  let nc: NatsConnection;
  const stops: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    nc = await connectAs(natsAccess(servers));
  });

  afterAll(async () => {
    await Promise.all(stops.map((s) => s.stop()));
    await nc?.drain();
  });

  const consume = async (
    subject: string,
    handle: (job: { n: number }, ctx: JobContext) => Promise<void>,
    extra: {
      onGiveUp?: (job: { n: number }, reason: string) => Promise<void>;
      concurrency?: number;
    } = {},
  ) => {
    const consumer = await consumeJobs(nc, {
      durable: `test-${subject.replaceAll('.', '-')}`,
      subject,
      schema: Job,
      handle,
      log: silentLog,
      maxDeliver: 3,
      ...extra,
    });
    stops.push(consumer);
    return consumer;
  };

  it('acks a job that succeeds: it runs once and leaves the queue', async () => {
    const subject = `jobs.test.${unique()}`;
    const seen: number[] = [];
    await consume(subject, async (job) => void seen.push(job.n));
    await publishJob(nc, subject, { n: 1 }, `${subject}-1`);
    await waitFor('the job', () => seen.length === 1);
    await waitFor('the queue to empty', async () => (await left(nc, subject)) === 0);
    expect(seen).toEqual([1]);
  });

  it('retries a transient failure, and gives up on a permanent one with its reason', async () => {
    const subject = `jobs.test.${unique()}`;
    const attempts: number[] = [];
    const givenUp: string[] = [];
    await consume(
      subject,
      async (job, ctx) => {
        attempts.push(ctx.attempt);
        if (job.n === 1 && ctx.attempt === 1) throw new Error('flaky');
        if (job.n === 2) throw new PermanentJobError('never works');
      },
      { onGiveUp: async (job, reason) => void givenUp.push(`${job.n}: ${reason}`) },
    );
    await publishJob(nc, subject, { n: 1 }, `${subject}-1`);
    await waitFor('the retry', () => attempts.length === 2, { timeoutMs: 10_000 });
    expect(attempts).toEqual([1, 2]);
    await publishJob(nc, subject, { n: 2 }, `${subject}-2`);
    await waitFor('the give-up', () => givenUp.length === 1);
    expect(givenUp).toEqual(['2: never works']);
    await waitFor('the queue to empty', async () => (await left(nc, subject)) === 0);
  });

  it('terminates a malformed job without running it', async () => {
    const subject = `jobs.test.${unique()}`;
    let ran = 0;
    await consume(subject, async () => void ran++);
    await jetstream(nc).publish(subject, JSON.stringify({ n: 'one' }));
    await waitFor('the queue to empty', async () => (await left(nc, subject)) === 0);
    expect(ran).toBe(0);
  });

  it.each([1, 2])('runs at most %i job(s) at once', async (concurrency) => {
    const subject = `jobs.test.${unique()}`;
    let inFlight = 0;
    let most = 0;
    let done = 0;
    await consume(
      subject,
      async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 300));
        inFlight--;
        done++;
      },
      { concurrency },
    );
    for (let n = 0; n < 4; n++) await publishJob(nc, subject, { n }, `${subject}-${n}`);
    await waitFor('every job', () => done === 4, { timeoutMs: 10_000 });
    expect(most).toBe(concurrency);
  });

  it('stop lets the jobs in hand finish', async () => {
    const subject = `jobs.test.${unique()}`;
    let started = 0;
    let finished = 0;
    const consumer = await consume(
      subject,
      async () => {
        started++;
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished++;
      },
      { concurrency: 2 },
    );
    stops.splice(stops.indexOf(consumer), 1);
    await publishJob(nc, subject, { n: 1 }, `${subject}-1`);
    await publishJob(nc, subject, { n: 2 }, `${subject}-2`);
    await waitFor('both jobs to start', () => started === 2);
    await consumer.stop();
    expect(finished).toBe(2);
    await waitFor('the queue to empty', async () => (await left(nc, subject)) === 0);
  });
});
