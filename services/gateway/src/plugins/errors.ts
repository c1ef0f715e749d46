import { ErrorKinds, VaultError } from '@media-vault/contracts';
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { errorBody, kindOfHttpStatus, styleOf } from '../api-style.js';

/** The one place where errors become HTTP responses, in the style of the route's seed. */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError | VaultError, request, reply) => {
      const style = styleOf(request);
      if (error instanceof VaultError) {
        const status = ErrorKinds[error.kind].http;
        if (status === 500) request.log.error({ err: error }, 'request failed');
        else if (status > 500) request.log.warn({ err: error }, 'request failed');
        return reply.status(status).send(errorBody(style, error.kind, error.message));
      }
      const status = 'statusCode' in error && error.statusCode ? error.statusCode : 500;
      if (status >= 500) {
        request.log.error({ err: error }, 'request failed');
        return reply.status(500).send(errorBody(style, 'internal', 'internal error'));
      }
      // Fastify's own wording names neither the limit nor the type.
      const code = 'code' in error ? error.code : undefined;
      const message =
        code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `request body is larger than the ${request.routeOptions.bodyLimit}-byte limit`
          : code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? `Content-Type ${JSON.stringify(String(request.headers['content-type'] ?? '').slice(0, 100))} is not accepted: send application/json, application/x-www-form-urlencoded or multipart/form-data`
            : error.message;
      return reply.status(status).send(errorBody(style, kindOfHttpStatus(status), message));
    });
    app.setNotFoundHandler((request, reply) => {
      const style = styleOf(request);
      return reply
        .status(404)
        .send(
          errorBody(style, 'notFound', `no route ${request.method} ${request.url.split('?')[0]}`),
        );
    });
  },
  { name: 'errors' },
);
