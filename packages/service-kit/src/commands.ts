import {
  Commands,
  PrincipalHeader,
  type Principal,
  VaultError,
  type CommandOf,
  type ReplyOf,
  type CommandsOf,
  type CommandSubject,
} from '@media-vault/contracts';
import { Svcm, type ServiceMsg } from '@nats-io/services';
import type { NatsConnection } from '@nats-io/transport-node';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { isDatabaseUnavailable } from './database-errors.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { PrincipalVerifier } from './principal-token.js';

export interface CommandContext {
  /** The verified caller; commands without one are refused before the handler runs. */
  readonly principal: Principal;
  readonly requestId: string | undefined;
  readonly log: Logger;
}

export type CommandHandler<S extends CommandSubject> = (
  request: CommandOf<S>,
  ctx: CommandContext,
) => Promise<ReplyOf<S>>;

/** A handler for every command of service P; a missing one is a compile error. */
export type CommandHandlers<P extends string> = { [S in CommandsOf<P>]: CommandHandler<S> };

export interface ServeCommandsOptions<P extends string> {
  readonly service: P;
  readonly version: string;
  readonly description: string;
  readonly handlers: CommandHandlers<P>;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Verifies the gateway-signed caller of every command before its handler runs. */
  readonly verifier: PrincipalVerifier;
}

const decodeJson = (msg: ServiceMsg): unknown => {
  if (msg.data.length === 0) return {};
  try {
    return msg.json();
  } catch {
    throw new VaultError('badRequest', 'request body is not valid JSON');
  }
};

const readCaller = (msg: ServiceMsg, subject: string, verifier: PrincipalVerifier) => {
  const token = msg.headers?.get(PrincipalHeader);
  if (!token) throw new VaultError('unauthenticated', 'no principal on the request');
  return verifier.verify(token, subject, msg.data);
};

/**
 * Serves a service's commands through the NATS services framework: one endpoint per subject, all in
 * the service's queue group so replicas share the load, discoverable with `$SRV.PING/INFO/STATS`.
 * Requests are validated against the contract schema before the handler sees them; failures
 * travel back as `Nats-Service-Error-Code` + message.
 */
export async function serveCommands<P extends string>(
  nc: NatsConnection,
  opts: ServeCommandsOptions<P>,
): Promise<{ stop(): Promise<void> }> {
  // @nats-io/services is built against its own copy of nats-core; the connection is the same object.
  const svc = await new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]).add({
    name: opts.service,
    version: opts.version,
    description: opts.description,
    queue: opts.service,
  });
  const entries = Object.entries(opts.handlers) as [CommandSubject, CommandHandler<never>][];
  for (const [subject, handler] of entries) {
    const check = TypeCompiler.Compile(Commands[subject].request);
    svc.addEndpoint(subject.replaceAll('.', '_'), {
      subject,
      handler: (err, msg) => {
        if (err) {
          opts.log.error({ err, subject }, 'command endpoint failed');
          return;
        }
        void handle(msg, subject, check, handler, opts);
      },
    });
  }
  opts.log.info({ commands: entries.map(([s]) => s) }, 'serving commands');
  return { stop: async () => void (await svc.stop()) };
}

async function handle<P extends string>(
  msg: ServiceMsg,
  subject: CommandSubject,
  check: ReturnType<typeof TypeCompiler.Compile>,
  handler: CommandHandler<never>,
  opts: ServeCommandsOptions<P>,
): Promise<void> {
  const started = performance.now();
  let log = opts.log.child({ subject });
  let outcome = 'ok';
  try {
    // The request id is taken from the signed token, so a log line cannot be pinned on another.
    const { principal, requestId } = await readCaller(msg, subject, opts.verifier);
    log = log.child({ requestId, caller: principal.id });
    const request = decodeJson(msg);
    if (!check.Check(request)) {
      const first = check.Errors(request).First();
      const field = first?.path.replace(/^\//, '').replaceAll('/', '.') || 'body';
      throw new VaultError('badRequest', `${field}: ${first?.message ?? 'invalid'}`);
    }
    const response = await handler(request as never, { principal, requestId, log });
    msg.respond(JSON.stringify(response));
  } catch (err) {
    if (err instanceof VaultError) {
      outcome = err.kind;
      if (err.kind === 'unauthenticated') log.warn({ reason: err.message }, 'command refused');
      msg.respondError(err.code, err.message);
    } else if (isDatabaseUnavailable(err)) {
      outcome = 'unavailable';
      log.warn({ err }, 'command failed: the database is unavailable');
      msg.respondError(503, 'the database is unavailable; try again shortly');
    } else {
      outcome = 'internal';
      log.error({ err }, 'command failed');
      msg.respondError(500, 'internal error');
    }
  } finally {
    opts.metrics.observeCommand(subject, outcome, (performance.now() - started) / 1000);
  }
}
