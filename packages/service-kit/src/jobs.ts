import { Streams } from '@media-vault/contracts';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Logger } from './logger.js';
import { isNatsUnavailable, untilNatsReady } from './startup.js';

/** A job that can never succeed (bad input, unsupported media): terminated, not retried. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

export interface JobContext {
  readonly log: Logger;
  /** Delivery attempt, from 1. */
  readonly attempt: number;
  /** Tells JetStream the job is still in progress; also sent automatically while it runs. */
  working(): void;
}

export interface JobConsumerOptions<S extends TSchema> {
  readonly durable: string;
  readonly subject: string;
  readonly schema: S;
  readonly handle: (job: Static<S>, ctx: JobContext) => Promise<void>;
  /** Called once a job is given up (permanent error or last delivery), so its owner hears why. */
  readonly onGiveUp?: (job: Static<S>, reason: string) => Promise<void>;
  readonly log: Logger;
  readonly ackWaitMs?: number;
  readonly maxDeliver?: number;
  /** Jobs this instance runs at once (default 1): more for jobs that mostly wait. */
  readonly concurrency?: number;
}

const NS_PER_MS = 1_000_000;
const PULL_EXPIRES_MS = 5_000;

/**
 * Runs a durable pull consumer on the JOBS work queue: explicit ack on success, `working()`
 * heartbeats while a job runs, nak with growing delay on a transient failure, term on a permanent
 * one or after the last delivery. Each consumer instance runs up to `concurrency` jobs at once
 * (one by default); replicas of the worker share the durable consumer.
 */
export async function consumeJobs<S extends TSchema>(
  nc: NatsConnection,
  opts: JobConsumerOptions<S>,
): Promise<{ stop(): Promise<void> }> {
  const ackWaitMs = opts.ackWaitMs ?? 30_000;
  const maxDeliver = opts.maxDeliver ?? 5;
  const config = {
    durable_name: opts.durable,
    filter_subject: opts.subject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: ackWaitMs * NS_PER_MS,
    // Unlimited on the server, counted here: past the server's limit a job whose failure could
    // not be reported, or whose worker died on every delivery, would never come back to be given
    // up, and its owner would wait for an answer forever.
    max_deliver: -1,
  };
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  // At start JetStream may not answer yet (a loaded machine, a cluster electing leaders): the
  // set-up is tried again until it does rather than ending the process.
  const messages = await untilNatsReady(
    `job consumer ${opts.durable}`,
    async () => {
      const jsm = await jetstreamManager(nc);
      const existing = await jsm.consumers.info(Streams.jobs.name, opts.durable).catch((err) => {
        if (isNatsUnavailable(err)) throw err;
        return undefined;
      });
      if (existing) await jsm.consumers.update(Streams.jobs.name, opts.durable, config);
      else await jsm.consumers.add(Streams.jobs.name, config);
      const consumer = await jetstream(nc).consumers.get(Streams.jobs.name, opts.durable);
      // Pull no more than can run: a job waiting in this client's buffer is one no replica can
      // take. Short pulls: a pull the servers held dies with them (a restart of the whole
      // cluster), and the client finds out, or retries the check it makes on reconnecting, only
      // after `expires`; with the default 30 s every job waited that long once the cluster was back.
      return consumer.consume({ max_messages: concurrency, expires: PULL_EXPIRES_MS });
    },
    { log: opts.log },
  );
  const check = TypeCompiler.Compile(opts.schema);
  const log = opts.log.child({ consumer: opts.durable });

  const handleOne = async (msg: JsMsg): Promise<void> => {
    const attempt = msg.info.deliveryCount;
    let job: unknown;
    try {
      job = msg.json();
    } catch {
      log.error({ subject: msg.subject }, 'job is not JSON; terminated');
      msg.term('not JSON');
      return;
    }
    if (!check.Check(job)) {
      const first = check.Errors(job).First();
      log.error(
        { subject: msg.subject, error: first?.message, path: first?.path },
        'job is malformed; terminated',
      );
      msg.term('malformed job');
      return;
    }
    const jobLog = log.child({ subject: msg.subject, attempt });
    const giveUp = async (reason: string): Promise<void> => {
      try {
        await opts.onGiveUp?.(job, reason);
        msg.term(reason.slice(0, 200));
      } catch (giveUpErr) {
        // Could not report the failure: let it come back rather than lose it silently.
        jobLog.error({ err: giveUpErr }, 'could not report the failed job; will retry');
        msg.nak(5_000);
      }
    };
    if (attempt > maxDeliver) {
      jobLog.error('job had no outcome after its last delivery; giving up');
      await giveUp(`no outcome after ${maxDeliver} deliveries`);
      return;
    }
    const heartbeat = setInterval(() => msg.working(), Math.max(1000, ackWaitMs / 3));
    try {
      await opts.handle(job, { log: jobLog, attempt, working: () => msg.working() });
      msg.ack();
    } catch (err) {
      const permanent = err instanceof PermanentJobError;
      const reason = err instanceof Error ? err.message : String(err);
      if (permanent || attempt >= maxDeliver) {
        jobLog.error(
          { err },
          permanent ? 'job failed permanently' : 'job failed on its last delivery',
        );
        await giveUp(reason);
      } else {
        const delay = Math.min(60_000, 1_000 * 2 ** (attempt - 1));
        jobLog.warn({ err, delay }, 'job failed; will retry');
        msg.nak(delay);
      }
    } finally {
      clearInterval(heartbeat);
    }
  };

  const running = new Set<Promise<void>>();
  const loop = (async () => {
    for await (const msg of messages) {
      const job = handleOne(msg)
        .catch((err: unknown) => log.error({ err }, 'job handling failed'))
        .finally(() => running.delete(job));
      running.add(job);
      if (running.size >= concurrency) await Promise.race(running);
    }
    await Promise.all(running);
  })();
  log.info({ subject: opts.subject }, 'consuming jobs');
  return {
    async stop() {
      await messages.close();
      await loop;
    },
  };
}

/** Publishes the next step of a pipeline with a message id derived from the current job. */
export async function publishJob(
  nc: NatsConnection,
  subject: string,
  payload: unknown,
  msgId: string,
): Promise<void> {
  await jetstream(nc).publish(subject, JSON.stringify(payload), { msgID: msgId });
}
