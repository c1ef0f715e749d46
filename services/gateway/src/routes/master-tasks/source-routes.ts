import {
  CommandSubjects,
  CreateGrantBody,
  Envelope,
  ErrorEnvelope,
  Grant,
  GrantList,
  GrantParams,
  MasterSource,
  MasterSourceParams,
} from '@media-vault/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

const tags = ['sources and grants'];
// 503/504: the tasks service is down or slow.
const errors = {
  400: ErrorEnvelope,
  401: ErrorEnvelope,
  403: ErrorEnvelope,
  404: ErrorEnvelope,
  503: ErrorEnvelope,
  504: ErrorEnvelope,
};
/** Routes fastify reads a body for may also find it too large (413) or of another type (415). */
const bodyErrors = { ...errors, 413: ErrorEnvelope, 415: ErrorEnvelope };

/** A source's public block (named in seed 000) and who may download it (grants, ours). */
export const sourceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/sources/:source_id/',
    {
      onRequest: app.requireUser(),
      schema: {
        tags,
        summary: '获取影视媒体IPFS下载Hash值: a source and its public block',
        description: 'Visible to its owner, root and users holding a valid grant; else 404.',
        params: MasterSourceParams,
        response: { 200: Envelope(MasterSource), ...errors },
      },
    },
    async (request) => ({
      data: await app.command(request, CommandSubjects.sourceGet, request.params),
      message: '',
    }),
  );

  app.post(
    '/api/v1/sources/:source_id/grants/',
    {
      onRequest: app.requireUser(),
      schema: {
        tags,
        summary: 'Authorise a user to download the source (owner or root)',
        description:
          'Optional `not_before`/`not_after` (ISO 8601; without a zone, UTC). Granting again replaces the window and lifts a revocation.',
        params: MasterSourceParams,
        body: CreateGrantBody,
        response: { 200: Envelope(Grant), ...bodyErrors },
      },
    },
    async (request) => ({
      data: await app.command(request, CommandSubjects.grantCreate, {
        ...request.body,
        source_id: request.params.source_id,
      }),
      message: '',
    }),
  );

  app.get(
    '/api/v1/sources/:source_id/grants/',
    {
      onRequest: app.requireUser(),
      schema: {
        tags,
        summary: 'Grants of the source (owner or root)',
        params: MasterSourceParams,
        response: { 200: Envelope(GrantList), ...errors },
      },
    },
    async (request) => ({
      data: await app.command(request, CommandSubjects.grantList, request.params),
      message: '',
    }),
  );

  app.delete(
    '/api/v1/sources/:source_id/grants/:user_id/',
    {
      onRequest: app.requireUser(),
      schema: {
        tags,
        summary: "Revoke a user's grant (owner or root); running downloads are not stopped",
        params: GrantParams,
        response: { 200: Envelope(Grant), ...bodyErrors },
      },
    },
    async (request) => ({
      data: await app.command(request, CommandSubjects.grantRevoke, request.params),
      message: '',
    }),
  );
};
