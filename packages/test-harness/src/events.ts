import { Streams } from '@media-vault/contracts';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/** Messages per subject that EVENTS holds under `filter` (which may be a wildcard). */
export async function subjectCounts(
  nc: NatsConnection,
  filter: string,
): Promise<Record<string, number>> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(Streams.events.name, { subjects_filter: filter });
  return info.state.subjects ?? {};
}

/** How many messages EVENTS holds under `filter`, from the stream's own bookkeeping. */
export const subjectCount = async (nc: NatsConnection, filter: string): Promise<number> =>
  Object.values(await subjectCounts(nc, filter)).reduce((a, b) => a + b, 0);

/** Every message EVENTS holds on `subject`, read with an ordered consumer filtered to it. */
export async function readSubject(nc: NatsConnection, subject: string): Promise<JsMsg[]> {
  const count = await subjectCount(nc, subject);
  if (count === 0) return [];
  const consumer = await jetstream(nc).consumers.get(Streams.events.name, {
    filter_subjects: subject,
  });
  const messages: JsMsg[] = [];
  const batch = await consumer.fetch({ max_messages: count, expires: 5_000 });
  for await (const m of batch) messages.push(m);
  await consumer.delete().catch(() => false);
  return messages;
}
