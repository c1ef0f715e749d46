import {
  errorKindOf,
  PrincipalHeader,
  VaultError,
  type CommandOf,
  type ReplyOf,
  type CommandSubject,
  type Principal,
} from '@media-vault/contracts';
import { ServiceError } from '@nats-io/services';
import {
  headers,
  NoRespondersError,
  RequestError,
  TimeoutError,
  type NatsConnection,
} from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import type { PrincipalSigner } from './principal-token.js';

export interface SendOptions {
  readonly principal: Principal;
  /** Signs the principal for this one request; only the gateway holds a signing key. */
  readonly signer: PrincipalSigner;
  readonly requestId?: string;
  readonly timeoutMs?: number;
}

/** Sends a command and returns its typed reply, or throws the service's VaultError. */
export async function sendCommand<S extends CommandSubject>(
  nc: NatsConnection,
  subject: S,
  request: CommandOf<S>,
  opts: SendOptions,
): Promise<ReplyOf<S>> {
  const body = new TextEncoder().encode(JSON.stringify(request));
  const requestId = opts.requestId ?? randomUUID();
  const h = headers();
  h.set(PrincipalHeader, await opts.signer.sign(opts.principal, subject, requestId, body));
  let reply;
  try {
    reply = await nc.request(subject, body, {
      headers: h,
      timeout: opts.timeoutMs ?? 10_000,
    });
  } catch (err) {
    if (err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders())) {
      throw new VaultError('unavailable', `no service is answering ${subject}`, { cause: err });
    }
    if (err instanceof TimeoutError) {
      throw new VaultError('timeout', `${subject} did not answer in time`, { cause: err });
    }
    throw err;
  }
  const failure = ServiceError.toServiceError(reply as never);
  if (failure) throw new VaultError(errorKindOf(failure.code), failure.message);
  return reply.json<ReplyOf<S>>();
}
