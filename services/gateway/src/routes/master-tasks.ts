import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** Seed 000 film master task routes (`{data, message}` envelope). */
export const masterTaskRoutes: FastifyPluginAsyncTypebox = async () => {};
