import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { readFile } from 'node:fs/promises';
import type { Logger } from './logger.js';

export type { NatsConnection };

export interface NatsOptions {
  readonly servers: string;
  readonly name: string;
  readonly credsFile?: string | undefined;
  /** CA of the servers' TLS certificates, when it is not a public one. */
  readonly caFile?: string | undefined;
  /** Reply subjects start with this; a user's permissions allow it to read only its own. */
  readonly inboxPrefix?: string | undefined;
}

/**
 * Connects with unlimited reconnects: a service outlives NATS restarts instead of exiting, and
 * one started before NATS is reachable waits for it (`waitOnFirstConnect`).
 */
export async function connectNats(opts: NatsOptions, log: Logger): Promise<NatsConnection> {
  const authenticator = opts.credsFile
    ? credsAuthenticator(new Uint8Array(await readFile(opts.credsFile)))
    : undefined;
  const nc = await connect({
    servers: opts.servers.split(',').map((s) => s.trim()),
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    waitOnFirstConnect: true,
    ...(authenticator ? { authenticator } : {}),
    ...(opts.inboxPrefix ? { inboxPrefix: opts.inboxPrefix } : {}),
    ...(opts.caFile ? { tls: { caFile: opts.caFile } } : {}),
  });
  log.info({ server: nc.getServer() }, 'connected to NATS');
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'ping') continue;
      // A permission violation arrives here, not at the call that caused it: name it.
      if (status.type === 'error') log.warn({ err: status.error }, 'NATS refused an operation');
      else log.info({ status: status.type }, 'NATS connection status');
    }
  })();
  return nc;
}
