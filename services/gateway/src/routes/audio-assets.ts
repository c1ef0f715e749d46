import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** Seed 002 audio asset routes (grpc-gateway JSON). */
export const audioAssetRoutes: FastifyPluginAsyncTypebox = async () => {};
