import {
  Agent,
  AgentList,
  CommandSubjects,
  Envelope,
  ErrorEnvelope,
  RegisterAgentBody,
} from '@media-vault/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

// 503/504: the tasks service is down or slow; 413/415: a body too large or of another type.
const busErrors = { 503: ErrorEnvelope, 504: ErrorEnvelope };
const errors = {
  400: ErrorEnvelope,
  401: ErrorEnvelope,
  409: ErrorEnvelope,
  413: ErrorEnvelope,
  415: ErrorEnvelope,
  ...busErrors,
};

/** Agents (ipfs-worker instances) register their ids and keys for their user. */
export const agentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/agents/',
    {
      onRequest: app.requireUser(),
      schema: {
        tags: ['agents'],
        summary: 'Register (or re-register) an agent of the signed-in user',
        body: RegisterAgentBody,
        response: { 200: Envelope(Agent), ...errors },
      },
    },
    async (request) => ({
      data: await app.command(request, CommandSubjects.agentRegister, request.body),
      message: '',
    }),
  );

  app.get(
    '/api/v1/agents/',
    {
      onRequest: app.requireUser(),
      schema: {
        tags: ['agents'],
        summary: "The signed-in user's agents",
        response: { 200: Envelope(AgentList), 401: ErrorEnvelope, ...busErrors },
      },
    },
    async (request) => ({
      data: await app.command(request, CommandSubjects.agentList, {}),
      message: '',
    }),
  );
};
