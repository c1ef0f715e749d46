import type { NatsConnection } from '@nats-io/transport-node';
import { Svcm } from '@nats-io/services';

/**
 * Whether at least one replica of each named service answers the services framework's
 * `$SRV.PING.<name>` (serveCommands registers there only once its commands are served). A gateway
 * that says ready before then would answer 503 "no service is answering" to the first requests.
 * Resolves to the names that did not answer within `timeoutMs`.
 */
export async function silentServices(
  nc: NatsConnection,
  names: readonly string[],
  timeoutMs = 1_000,
): Promise<string[]> {
  // @nats-io/services is built against its own copy of nats-core; the connection is the same object.
  const client = new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]).client({
    strategy: 'count',
    maxMessages: 1,
    maxWait: timeoutMs,
  });
  const answers = await Promise.all(
    names.map(async (name) => {
      try {
        for await (const _identity of await client.ping(name)) return true;
      } catch {
        // No responders, a time-out or a closed connection: not answering.
      }
      return false;
    }),
  );
  return names.filter((_, i) => !answers[i]);
}
