import { Envelope, ErrorEnvelope, UserDetail } from '@media-vault/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../plugins/auth.js';

/** Seed 000 "user detail": the client loads the signed-in user from its token. */
export const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/users/me/',
    {
      config: { style: 'envelope' },
      onRequest: app.requireUser(),
      schema: {
        tags: ['users'],
        summary: 'The signed-in user, from the verified token',
        response: { 200: Envelope(UserDetail), 401: ErrorEnvelope },
      },
    },
    async (request) => {
      const { id, name, roles } = principalOf(request);
      return { data: { id, name, roles }, message: '' };
    },
  );
};
