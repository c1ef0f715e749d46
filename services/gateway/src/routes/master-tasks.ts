import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sourceRoutes } from './master-tasks/source-routes.js';
import { taskRoutes } from './master-tasks/task-routes.js';

/** Seed 000 film master task routes (`{data, message}` envelope), sources and grants. */
export const masterTaskRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(taskRoutes);
  await app.register(sourceRoutes);
};
