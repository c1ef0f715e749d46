import {
  Jobs,
  WorkerJobs,
  type JobOf,
  type JobsServedBy,
  type JobSubject,
  type JobWorker,
} from '@media-vault/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import { consumeJobs, type JobContext } from './jobs.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** How a worker handles one job subject. */
export interface JobHandler<S extends JobSubject> {
  handle(job: JobOf<S>, ctx: JobContext): Promise<void>;
  /** Called once a job is given up, so its owner hears why. */
  onGiveUp?(job: JobOf<S>, reason: string): Promise<void>;
  /** Jobs this instance runs at once (default 1). */
  readonly concurrency?: number;
  /** Deliveries before a job that keeps failing is given up (default 5). */
  readonly maxDeliver?: number;
}

/** One handler for every job the worker serves: leaving one out does not compile. */
export type JobHandlers<W extends JobWorker> = {
  readonly [S in JobsServedBy<W>]: JobHandler<S>;
};

export interface ServeJobsOptions<W extends JobWorker> {
  readonly worker: W;
  readonly handlers: JobHandlers<W>;
  readonly log: Logger;
  /** Counts every job given up, by subject (vault_jobs_given_up_total). */
  readonly metrics?: Metrics;
}

/**
 * Consumes every job the contracts say `worker` serves, each through its own durable consumer and
 * checked against its registered schema. `stop` ends them all, each finishing the job in hand.
 */
export async function serveJobs<W extends JobWorker>(
  nc: NatsConnection,
  opts: ServeJobsOptions<W>,
): Promise<{ stop(): Promise<void> }> {
  const served = WorkerJobs[opts.worker] as Readonly<Record<JobsServedBy<W>, string>>;
  const consumers: { stop(): Promise<void> }[] = [];
  try {
    for (const subject of Object.keys(served) as JobsServedBy<W>[]) {
      const handler = opts.handlers[subject] as JobHandler<JobSubject>;
      consumers.push(
        await consumeJobs(nc, {
          durable: served[subject],
          subject,
          schema: Jobs[subject],
          handle: (job, ctx) => handler.handle(job as never, ctx),
          onGiveUp: async (job, reason) => {
            await handler.onGiveUp?.(job as never, reason);
            // Counted once its owner has heard: a report that fails brings the job back.
            opts.metrics?.countJobGivenUp(subject);
          },
          ...(handler.concurrency === undefined ? {} : { concurrency: handler.concurrency }),
          ...(handler.maxDeliver === undefined ? {} : { maxDeliver: handler.maxDeliver }),
          log: opts.log,
        }),
      );
    }
  } catch (err) {
    await Promise.all(consumers.map((c) => c.stop()));
    throw err;
  }
  return {
    async stop() {
      await Promise.all(consumers.map((c) => c.stop()));
    },
  };
}
