import {
  Envelope,
  ErrorEnvelope,
  GrpcError,
  Commands,
  IdempotencyHeaders,
  IdempotencyKeyHeader,
  type HttpBinding,
  type ResponseStyle,
} from '@media-vault/contracts';
import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { dropEmptyFields, queryFromGetBody } from './form-fields.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's response style; unset on routes the gateway did not declare. */
    style?: ResponseStyle;
  }
}

export interface RelayOptions {
  readonly bindings: readonly HttpBinding[];
}

type Fields = Record<string, unknown>;

/**
 * Marks an operation whose body may be left out; the docs plugin turns it into
 * `requestBody.required: false`, which the OpenAPI generator never writes by itself.
 */
export const BODY_OPTIONAL = 'x-body-optional';

const errorSchemaOf = (style: ResponseStyle) => (style === 'grpc' ? GrpcError : ErrorEnvelope);

function replySchemaOf(binding: HttpBinding): TSchema {
  const reply = Commands[binding.subject].response;
  if (binding.style === 'grpc') return reply;
  if (!binding.meta) return Envelope(reply);
  return Type.Object({ data: reply, message: Type.String(), meta: binding.meta.schema });
}

/**
 * Fields a part does not declare are dropped before validation: seed 000's server and
 * grpc-gateway both ignore query parameters they do not know (a client's cache-buster `_=`).
 */
const keepDeclared =
  (schema: TObject): preValidationAsyncHookHandler =>
  async (request) => {
    const query = request.query as Fields | undefined;
    if (typeof query !== 'object' || query === null) return;
    const known = new Set(Object.keys(schema.properties));
    const kept = Object.fromEntries(Object.entries(query).filter(([name]) => known.has(name)));
    (request as { query: unknown }).query = kept;
  };

/** Seed 000 routes drop body fields they do not know, as the seed's server does. */
const keepDeclaredBody =
  (schema: TObject): preValidationAsyncHookHandler =>
  async (request) => {
    const body = request.body as Fields | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
    const known = new Set(Object.keys(schema.properties));
    (request as { body: unknown }).body = Object.fromEntries(
      Object.entries(body).filter(([name]) => known.has(name)),
    );
  };

/** A route declared without a body part in its seed may come with no body at all. */
const noBodyIsEmpty: preValidationAsyncHookHandler = async (request) => {
  if (request.body === undefined || request.body === null) {
    (request as { body: unknown }).body = {};
  }
};

function preValidationOf(app: FastifyInstance, binding: HttpBinding) {
  const hooks: preValidationAsyncHookHandler[] = [];
  if (binding.fieldsInGetBody) {
    hooks.push(queryFromGetBody(app.initialConfig.bodyLimit ?? 1_048_576));
  }
  if (binding.query) hooks.push(keepDeclared(binding.query));
  if (binding.bodyOptional) hooks.push(noBodyIsEmpty);
  if (binding.body && binding.ignoreUnknownBodyFields) hooks.push(keepDeclaredBody(binding.body));
  if (binding.emptyMeansAbsent) hooks.push(dropEmptyFields(binding.emptyMeansAbsent));
  return hooks;
}

/**
 * The command a request asks for: its declared parts merged, body over query, path over both, and
 * the `Idempotency-Key` header where the route takes one.
 */
function commandOf(binding: HttpBinding, request: FastifyRequest): Fields {
  const key = binding.idempotencyKey ? request.headers[IdempotencyKeyHeader] : undefined;
  return {
    ...(binding.query ? (request.query as Fields) : {}),
    ...(binding.body ? (request.body as Fields) : {}),
    ...(binding.params ? (request.params as Fields) : {}),
    ...(typeof key === 'string' ? { idempotency_key: key } : {}),
  };
}

function schemaOf(binding: HttpBinding) {
  const errors = errorSchemaOf(binding.style);
  return {
    tags: [...binding.tags],
    ...(binding.summary === undefined ? {} : { summary: binding.summary }),
    ...(binding.description === undefined ? {} : { description: binding.description }),
    ...(binding.params ? { params: binding.params } : {}),
    ...(binding.query ? { querystring: binding.query } : {}),
    ...(binding.body ? { body: binding.body } : {}),
    ...(binding.idempotencyKey ? { headers: IdempotencyHeaders } : {}),
    ...(binding.bodyOptional ? { [BODY_OPTIONAL]: true } : {}),
    response: {
      200: replySchemaOf(binding),
      ...Object.fromEntries(binding.errors.map((status) => [status, errors])),
    },
  };
}

/**
 * Mounts every declared binding the same way: the caller's token and roles, the binding's request
 * rules, the command sent as the caller's signed principal, the reply in the binding's style. The
 * OpenAPI document is built from the same schemas, so it cannot drift from what is checked.
 */
export async function relayPlugin(app: FastifyInstance, opts: RelayOptions): Promise<void> {
  for (const binding of opts.bindings) {
    const preValidation = preValidationOf(app, binding);
    for (const url of binding.paths) {
      app.route({
        method: binding.method,
        url,
        config: { style: binding.style },
        onRequest: app.requireUser(binding.roles),
        ...(preValidation.length > 0 ? { preValidation } : {}),
        schema: schemaOf(binding),
        handler: async (request) => {
          const data = await app.command(
            request,
            binding.subject,
            commandOf(binding, request) as never,
          );
          if (binding.style === 'grpc') return data;
          return { data, message: '', ...(binding.meta ? { meta: binding.meta.value } : {}) };
        },
      });
    }
  }
}
