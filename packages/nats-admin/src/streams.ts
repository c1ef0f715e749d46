import { jetstreamManager, RetentionPolicy, type StreamConfig } from '@nats-io/jetstream';
import { Streams } from '@media-vault/contracts';
import type { NatsConnection } from '@nats-io/transport-node';

const DAY_NS = 24 * 60 * 60 * 1_000_000_000;
const DUPLICATE_WINDOW_NS = 10 * 60 * 1_000_000_000;
/**
 * Every browser's event stream and every `vault` watch reads EVENTS through an ordered consumer
 * of its own. nats-server 2.15 caps a stream at 1,000 consumers unless the stream says otherwise,
 * which would refuse the thousand-and-first open console tab across all gateways.
 */
export const EVENTS_MAX_CONSUMERS = 20_000;

export interface StreamOptions {
  /** JetStream replicas; 3 in a clustered deployment, 1 on one machine. */
  readonly replicas?: number;
}

const streamConfigs = (replicas: number): (Partial<StreamConfig> & { name: string })[] => [
  {
    name: Streams.events.name,
    subjects: [...Streams.events.subjects],
    description: Streams.events.description,
    retention: RetentionPolicy.Limits,
    max_age: 7 * DAY_NS,
    duplicate_window: DUPLICATE_WINDOW_NS,
    max_consumers: EVENTS_MAX_CONSUMERS,
    num_replicas: replicas,
  },
  {
    name: Streams.jobs.name,
    subjects: [...Streams.jobs.subjects],
    description: Streams.jobs.description,
    retention: RetentionPolicy.Workqueue,
    duplicate_window: DUPLICATE_WINDOW_NS,
    num_replicas: replicas,
  },
];

/**
 * Creates EVENTS and JOBS, or brings an existing stream's settings up to date: the admin's work,
 * done before (or while) the services start. Safe to run from several places at once.
 */
export async function ensureStreams(nc: NatsConnection, opts: StreamOptions = {}): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const config of streamConfigs(opts.replicas ?? 1)) {
    const name = config.name;
    const existing = await jsm.streams.info(name).catch(() => undefined);
    if (!existing) {
      await jsm.streams.add(config).catch(async (err: unknown) => {
        // Another service created it between our look-up and add.
        if (!(await jsm.streams.info(name).catch(() => undefined))) throw err;
      });
    } else {
      await jsm.streams.update(name, { ...existing.config, ...config });
    }
  }
}
