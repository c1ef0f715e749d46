import { Streams } from '@media-vault/contracts';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

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
