import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { VaultError } from '@media-vault/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Seed 000 clients send FormData (`multipart/form-data`) or url-encoded forms; JSON works too.
 * Form fields land on `request.body` as strings and the route schema coerces them.
 */
export const bodyParsersPlugin = fp(
  async (app: FastifyInstance, opts: { bodyLimit: number }) => {
    await app.register(formbody, { bodyLimit: opts.bodyLimit });
    // Fastify's bodyLimit does not cover multipart streams, and busboy only limits each field;
    // the declared length is what bounds the whole request before anything is read.
    app.addHook('onRequest', async (request) => {
      if (!request.headers['content-type']?.toLowerCase().startsWith('multipart/')) return;
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > opts.bodyLimit) {
        throw new VaultError(
          'payloadTooLarge',
          `request body is larger than the ${opts.bodyLimit}-byte limit`,
        );
      }
    });
    await app.register(multipart, {
      attachFieldsToBody: 'keyValues',
      limits: { fieldSize: opts.bodyLimit, fields: 50, files: 0, parts: 60 },
    });
  },
  { name: 'body-parsers' },
);
