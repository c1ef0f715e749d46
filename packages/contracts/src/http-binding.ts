/**
 * An HTTP route bound to a command: everything the gateway needs to mount it, check it, relay it
 * and document it. The gateway mounts every declared binding alike, so a new command reaches HTTP
 * by being declared here.
 */
import type { TObject, TSchema } from '@sinclair/typebox';
import type { CommandSubject } from './commands.js';
import type { Role } from './principal.js';

/**
 * Seed 000 answers `{data, message}` (errors too, with `data: null`); seed 002 answers the reply
 * itself and grpc-gateway `Status` errors.
 */
export type ResponseStyle = 'envelope' | 'grpc';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpBinding<S extends CommandSubject = CommandSubject> {
  readonly method: HttpMethod;
  /** Fastify route syntax (`:id`); more than one when a seed names the route twice. */
  readonly paths: readonly string[];
  readonly style: ResponseStyle;
  readonly subject: S;
  /** Roles of which the caller needs one; none: any signed-in user. */
  readonly roles?: readonly Role[];
  readonly tags: readonly string[];
  readonly summary?: string;
  readonly description?: string;
  /**
   * The request's parts. The command is their fields merged, body over query, path over both; a
   * part not declared here never reaches the command.
   */
  readonly params?: TObject;
  readonly query?: TObject;
  readonly body?: TObject;
  /** The body may be left out (grpc-gateway routes declared without `body`). */
  readonly bodyOptional?: boolean;
  /**
   * Body fields the binding does not declare are dropped instead of refused: seed 000's server
   * (Django REST framework) ignores what it does not know, where grpc-gateway refuses it.
   */
  readonly ignoreUnknownBodyFields?: boolean;
  /** Statuses the route may answer besides 200, each with the style's error body. */
  readonly errors: readonly number[];
  /** Form fields where an empty value means "not given" (form clients cannot leave one out). */
  readonly emptyMeansAbsent?: readonly string[];
  /** A GET whose fields may also come as a form or JSON body (seed 000 documents FormData). */
  readonly fieldsInGetBody?: boolean;
  /**
   * A create that takes the optional `Idempotency-Key` header; the gateway hands its value to the
   * command as `idempotency_key`, which the command's request must declare.
   */
  readonly idempotencyKey?: boolean;
  /** Extra envelope member next to `data` and `message`, the same on every reply. */
  readonly meta?: { readonly schema: TSchema; readonly value: unknown };
}

/** Declares one binding, keeping its subject's type for whoever reads it. */
export const bind = <S extends CommandSubject>(binding: HttpBinding<S>): HttpBinding<S> => binding;

const segments = (path: string): string[] => path.split('?')[0]!.split('/').filter(Boolean);

/**
 * The response style of a path no route answers (a 404, an error before routing): that of the
 * declared binding sharing the most leading path segments with it; envelope on a tie or none.
 */
export function responseStyleOfPath(bindings: readonly HttpBinding[], path: string): ResponseStyle {
  const asked = segments(path);
  let best = 0;
  let styles = new Set<ResponseStyle>();
  for (const binding of bindings) {
    for (const declared of binding.paths) {
      const own = segments(declared);
      let shared = 0;
      while (
        shared < own.length &&
        shared < asked.length &&
        (own[shared] === asked[shared] || own[shared]!.startsWith(':'))
      ) {
        shared++;
      }
      if (shared > best) {
        best = shared;
        styles = new Set([binding.style]);
      } else if (shared === best && shared > 0) {
        styles.add(binding.style);
      }
    }
  }
  return styles.size === 1 && styles.has('grpc') ? 'grpc' : 'envelope';
}
