import { Streams, type Principal, type RegisterAgentBody } from '@media-vault/contracts';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';

/**
 * Polls `probe` until it returns something other than undefined/false, or fails after the
 * deadline with the last value seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 10_000, intervalMs = 20 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** How many messages EVENTS holds on exactly this subject, from the stream's own bookkeeping. */
export async function subjectCount(nc: NatsConnection, subject: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(Streams.events.name, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

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

export const principal = (id: string): Principal => ({ id, name: `user ${id}`, roles: [] });

/** A 32-byte key as the contract accepts it: base64 with padding, or unpadded base64url. */
export const newKey = (encoding: 'base64' | 'base64url' = 'base64'): string =>
  randomBytes(32).toString(encoding);

let counter = 0;
/** Agent ids unique across files and runs: they name subjects in the shared EVENTS stream. */
export const newAgentId = (label = 'agent'): string =>
  `${label}-${process.pid}-${Date.now().toString(36)}-${++counter}`;

export const registration = (over: Partial<RegisterAgentBody> = {}): RegisterAgentBody => ({
  id: newAgentId(),
  peer_id: `12D3KooW${randomBytes(8).toString('hex')}`,
  public_key: newKey(),
  signing_key: newKey('base64url'),
  ...over,
});
