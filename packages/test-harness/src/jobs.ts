import { Streams, subjectMatches } from '@media-vault/contracts';
import { AckPolicy, jetstream, jetstreamManager, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { waitFor } from './wait-for.js';

/** How many jobs the JOBS work queue holds under `filter` (for tests where nothing consumes them). */
export async function jobCount(nc: NatsConnection, filter: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(Streams.jobs.name, { subjects_filter: filter });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

/**
 * The jobs JOBS holds on subjects matching `filter`, oldest first. A work-queue stream takes only
 * explicitly acked consumers, and reading must not take jobs away, so this reads message by message.
 */
export async function readJobs<T = unknown>(
  nc: NatsConnection,
  filter: string,
): Promise<{ subject: string; msgId: string | undefined; job: T }[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(Streams.jobs.name);
  const pattern = new RegExp(
    `^${filter.replaceAll('.', '\\.').replaceAll('*', '[^.]+').replace(/>$/, '.+')}$`,
  );
  const jobs: { subject: string; msgId: string | undefined; job: T }[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const msg = await jsm.streams.getMessage(Streams.jobs.name, { seq }).catch(() => null);
    if (!msg || !pattern.test(msg.subject)) continue;
    jobs.push({ subject: msg.subject, msgId: msg.header?.get('Nats-Msg-Id'), job: msg.json<T>() });
  }
  return jobs;
}

export interface TappedJob {
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly body: Record<string, unknown> & { id: string };
}

/**
 * Reads what the worker under test publishes. JOBS is a work queue, so a test cannot watch a
 * subject without taking its messages: this is the one durable consumer of `subjects` in the run,
 * standing in for the next worker, and it keeps every message it took.
 */
export class JobTap {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly durable: string,
    private readonly messages: ConsumerMessages,
    private readonly loop: Promise<void>,
    /** Every message taken so far, in order. */
    readonly taken: readonly TappedJob[],
  ) {}

  static async start(nc: NatsConnection, durable: string, subjects: string[]): Promise<JobTap> {
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(Streams.jobs.name, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      filter_subjects: subjects,
    });
    const consumer = await jetstream(nc).consumers.get(Streams.jobs.name, durable);
    const messages = await consumer.consume();
    const taken: TappedJob[] = [];
    const loop = (async () => {
      for await (const m of messages) {
        taken.push({
          subject: m.subject,
          msgId: m.headers?.get('Nats-Msg-Id'),
          body: m.json(),
        });
        m.ack();
      }
    })();
    return new JobTap(nc, durable, messages, loop, taken);
  }

  /** Everything taken so far for one job on one subject. */
  of(subject: string, jobId: string): TappedJob[] {
    return this.taken.filter((t) => t.subject === subject && t.body.id === jobId);
  }

  /** The first message for `jobId` on `subject`, waiting for it to arrive. */
  next(subject: string, jobId: string, timeoutMs = 30_000): Promise<TappedJob> {
    return waitFor(`${subject} for ${jobId}`, () => this.of(subject, jobId)[0], { timeoutMs });
  }

  /**
   * Resolves once `consumers` (the worker's) have no job waiting or in hand and this tap has taken
   * all that reached its subjects, so a count read afterwards is final.
   */
  async settled(consumers: string[], timeoutMs = 30_000): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    await waitFor(
      'jobs to settle',
      async () => {
        for (const name of [...consumers, this.durable]) {
          const info = await jsm.consumers.info(Streams.jobs.name, name);
          if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
        }
        return true;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  async stop(): Promise<void> {
    await this.messages.close();
    await this.loop;
    const jsm = await jetstreamManager(this.nc);
    await jsm.consumers.delete(Streams.jobs.name, this.durable).catch(() => false);
  }
}

/** True once some durable consumer on JOBS takes `subject`: its worker is consuming. */
export async function jobsConsumed(nc: NatsConnection, subject: string): Promise<boolean> {
  const jsm = await jetstreamManager(nc);
  for (const c of await jsm.consumers.list(Streams.jobs.name).next()) {
    const filters = [c.config.filter_subject, ...(c.config.filter_subjects ?? [])];
    if (filters.some((f) => f && subjectMatches(f, subject))) return true;
  }
  return false;
}
