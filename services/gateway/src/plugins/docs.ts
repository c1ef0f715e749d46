import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { BODY_OPTIONAL } from './relay.js';

type Operation = { [BODY_OPTIONAL]?: boolean; requestBody?: { required?: boolean } };

/** Bodies the relay marks optional are documented so, and the marker leaves the document. */
function markOptionalBodies<T extends { paths?: object }>(doc: T): T {
  for (const operations of Object.values(doc.paths ?? {}) as (object | undefined)[]) {
    for (const operation of Object.values(operations ?? {}) as Operation[]) {
      if (!operation[BODY_OPTIONAL]) continue;
      delete operation[BODY_OPTIONAL];
      if (operation.requestBody) operation.requestBody.required = false;
    }
  }
  return doc;
}

/** OpenAPI document built from the route schemas, served at /docs/json with a UI at /docs. */
export const docsPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'Media vault API',
          version: '0.1.0',
          description:
            'Seed 000 film master tasks (`{data, message}` envelope) and seed 002 audio assets (grpc-gateway JSON).',
        },
        components: {
          securitySchemes: {
            token: { type: 'apiKey', in: 'header', name: 'Token' },
            bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          },
        },
        security: [{ token: [] }, { bearer: [] }],
      },
      transformObject: (documents) =>
        'openapiObject' in documents
          ? markOptionalBodies(documents.openapiObject)
          : documents.swaggerObject,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'docs' },
);
