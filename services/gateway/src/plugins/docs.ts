import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

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
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'docs' },
);
