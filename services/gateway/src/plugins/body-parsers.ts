import formbody from '@fastify/formbody';
import { VaultError } from '@media-vault/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DEFAULT_FORM_LIMITS, parseMultipartFields } from './form-body.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Bytes one multipart field may hold on this route (default 16 KiB). */
    formFieldBytes?: number;
  }
}

/** The path of the first string in a parsed body, query or path that holds a NUL character. */
function nulIn(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  // Parsed JSON, forms and query strings (whose objects may have no or a bare prototype); not the
  // raw chunk route's request stream, nor binary.
  if (typeof value !== 'object' || value === null) return undefined;
  if (ArrayBuffer.isView(value) || typeof (value as { pipe?: unknown }).pipe === 'function') {
    return undefined;
  }
  for (const [key, item] of Object.entries(value as object)) {
    if (key.includes('\u0000')) return path ? `${path}.${key}` : key;
    const found = nulIn(item, path ? `${path}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Seed 000 clients send FormData (`multipart/form-data`) or url-encoded forms; JSON works too.
 * Form fields land on `request.body` as strings and the route schema coerces them.
 *
 * Every parser reads through fastify's byte counter (`parseAs`), so the route's body limit holds
 * for chunked bodies too, where no Content-Length says how much is coming; past the limit the
 * request is answered 413 and the rest of the body is discarded as it arrives.
 */
export const bodyParsersPlugin = fp(
  async (app: FastifyInstance, opts: { bodyLimit: number }) => {
    await app.register(formbody, { bodyLimit: opts.bodyLimit });
    app.addContentTypeParser(
      'multipart/form-data',
      { parseAs: 'buffer', bodyLimit: opts.bodyLimit },
      async (request: FastifyRequest, raw: Buffer) =>
        parseMultipartFields(request.headers['content-type'] ?? '', raw, {
          ...DEFAULT_FORM_LIMITS,
          fieldBytes: request.routeOptions.config.formFieldBytes ?? DEFAULT_FORM_LIMITS.fieldBytes,
        }),
    );
    // No text the platform stores may hold NUL (Postgres text cannot); refusing it here gives the
    // client a 400 naming the field instead of a failed write deep in a service.
    app.addHook('preValidation', async (request) => {
      for (const [part, value] of [
        ['body', request.body],
        ['querystring', request.query],
        ['params', request.params],
      ] as const) {
        const at = nulIn(value, '');
        if (at !== undefined) {
          throw new VaultError(
            'badRequest',
            `${part}${at ? `/${at}` : ''}: text may not contain the NUL character (U+0000)`,
          );
        }
      }
    });
  },
  { name: 'body-parsers' },
);
