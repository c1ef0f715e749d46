import {
  errorKindOf,
  PrincipalHeader,
  RequestIdHeader,
  VaultError,
  type CommandRequest,
  type CommandResponse,
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

export interface SendOptions {
  readonly principal: Principal;
  readonly requestId?: string;
  readonly timeoutMs?: number;
}

/** Sends a command and returns its typed reply, or throws the service's VaultError. */
export async function sendCommand<S extends CommandSubject>(
  nc: NatsConnection,
  subject: S,
  request: CommandRequest<S>,
  opts: SendOptions,
): Promise<CommandResponse<S>> {
  const h = headers();
  h.set(PrincipalHeader, JSON.stringify(opts.principal));
  if (opts.requestId) h.set(RequestIdHeader, opts.requestId);
  let reply;
  try {
    reply = await nc.request(subject, JSON.stringify(request), {
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
  return reply.json<CommandResponse<S>>();
}
