import type { NatsConnection } from '@nats-io/transport-node';

/** Whether Kubo holds a recursive pin on `cid` (`POST /api/v0/pin/ls`). */
export async function kuboIsPinned(kuboApiUrl: string, cid: string): Promise<boolean> {
  const res = await fetch(
    `${kuboApiUrl}/api/v0/pin/ls?arg=${encodeURIComponent(cid)}&type=recursive`,
    { method: 'POST' },
  );
  const text = await res.text();
  if (res.ok) return Object.keys((JSON.parse(text) as { Keys?: object }).Keys ?? {}).length > 0;
  if (/not pinned/i.test(text)) return false;
  throw new Error(`kubo pin/ls ${cid}: ${res.status} ${text}`);
}

/** Collects every message published on `subject` (JetStream publishes included) from now on. */
export async function tapSubject<T = Record<string, unknown>>(
  nc: NatsConnection,
  subject: string,
): Promise<{ messages: T[]; stop(): void }> {
  const messages: T[] = [];
  const sub = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (!err) messages.push(msg.json<T>());
    },
  });
  // The server knows of the subscription once a round trip has gone through.
  await nc.flush();
  return { messages, stop: () => sub.unsubscribe() };
}
