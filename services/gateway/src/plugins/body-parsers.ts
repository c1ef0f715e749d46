import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Seed 000 clients send FormData (`multipart/form-data`) or url-encoded forms; JSON works too.
 * Form fields land on `request.body` as strings and the route schema coerces them.
 */
export const bodyParsersPlugin = fp(
  async (app: FastifyInstance, opts: { bodyLimit: number }) => {
    await app.register(formbody, { bodyLimit: opts.bodyLimit });
    await app.register(multipart, {
      attachFieldsToBody: 'keyValues',
      limits: { fieldSize: opts.bodyLimit, fields: 50, files: 0, parts: 60 },
    });
  },
  { name: 'body-parsers' },
);
