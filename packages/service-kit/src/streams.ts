import type { StreamName } from '@media-vault/contracts';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { untilNatsReady } from './startup.js';

/**
 * Waits until the streams exist. Services do not manage streams (their NATS users may only look
 * them up); the platform's admin identity provisions them, and a service started first waits.
 */
export async function waitForStreams(
  nc: NatsConnection,
  streams: readonly StreamName[],
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
  opts: { pollMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  // Asks JetStream for the account's limits: fails while JetStream cannot answer yet.
  const jsm = await untilNatsReady('JetStream', () => jetstreamManager(nc), {
    log,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let told = false;
  for (const name of streams) {
    while (!(await jsm.streams.info(name).catch(() => undefined))) {
      opts.signal?.throwIfAborted();
      if (!told) log.info({ stream: name }, 'waiting for the stream to be provisioned');
      told = true;
      await new Promise((done) => setTimeout(done, opts.pollMs ?? 500));
    }
  }
}
