import {
  AssetPage,
  AudioAsset,
  AudioAssetCommandSubjects as S,
  AssetStatusSchema,
  ChunkIndex,
  ChunkJsonBody,
  ChunksResponse,
  CreateAssetRequest,
  CreateAssetResponse,
  GrpcError,
  MAX_OFFSET,
  MergeRequest,
  Roles,
  Sha256Hex,
  UserId,
  VaultError,
  type AssetFileKind,
} from '@media-vault/contracts';
import type {
  FastifyPluginAsyncTypebox,
  TypeBoxTypeProvider,
} from '@fastify/type-provider-typebox';
import type { IpfsPort } from '@media-vault/ipfs';
import type { NatsConnection } from '@media-vault/service-kit';
import { Type } from '@sinclair/typebox';
import { ChunkUploader } from '../assets/chunk-upload.js';
import { sendAssetFile } from '../assets/download.js';

const uploaders = [Roles.root, Roles.assets] as const;
const reviewers = [Roles.root, Roles.reviewerAssets] as const;
const IdParam = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,19}$' }) });
const UidParam = Type.Object({ uid: UserId });
const Paging = {
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
};
const AssetReply = Type.Object({ asset: AudioAsset });
const ChunkReply = Type.Object({
  index: Type.Integer(),
  size: Type.String(),
  hash: Type.String(),
  duplicate: Type.Boolean(),
});
// 503/504: the assets service is down or slow.
const errors = {
  400: GrpcError,
  401: GrpcError,
  403: GrpcError,
  404: GrpcError,
  409: GrpcError,
  503: GrpcError,
  504: GrpcError,
};
/** Routes fastify reads a body for may also find it too large (413) or of another type (415). */
const bodyErrors = { ...errors, 413: GrpcError, 415: GrpcError };

export interface AudioAssetRouteOptions {
  readonly nc: NatsConnection;
  readonly ipfs: IpfsPort | undefined;
  /** Body limit of the base64 JSON chunk route; raw chunk uploads are bounded by the chunk plan. */
  readonly chunkBodyLimit: number;
}

/** Seed 002 audio asset routes (grpc-gateway JSON), each a command to the assets service. */
export const audioAssetRoutes: FastifyPluginAsyncTypebox<AudioAssetRouteOptions> = async (
  app,
  opts,
) => {
  const chunks = new ChunkUploader(app, opts.nc);
  const tags = ['audio assets'];

  app.post(
    '/api/v1/assets/audio',
    {
      onRequest: app.requireUser(uploaders),
      schema: {
        tags,
        summary: 'Create',
        body: CreateAssetRequest,
        response: { 200: CreateAssetResponse, ...bodyErrors },
      },
    },
    (request) => app.command(request, S.assetCreate, request.body),
  );

  app.get(
    '/api/v1/assets/audio/chunks',
    {
      onRequest: app.requireUser(uploaders),
      schema: {
        tags,
        summary: 'Chunks: the chunks already stored, to resume an upload',
        querystring: Type.Object({ id: IdParam.properties.id }),
        response: { 200: ChunksResponse, ...errors },
      },
    },
    (request) => app.command(request, S.assetChunks, { id: request.query.id }),
  );

  app.post(
    '/api/v1/assets/audio/chunk',
    {
      onRequest: app.requireUser(uploaders),
      bodyLimit: opts.chunkBodyLimit,
      // As a form, `data` (the chunk in base64) is the one large field.
      config: { formFieldBytes: opts.chunkBodyLimit },
      schema: {
        tags,
        summary: 'Chunk (base64 in JSON)',
        body: ChunkJsonBody,
        response: { 200: ChunkReply, ...bodyErrors },
      },
    },
    async (request) => {
      const { id, index, data, hash } = request.body;
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(data)) {
        throw new VaultError('badRequest', 'data: is not base64');
      }
      const bytes = Buffer.from(data, 'base64');
      return chunks.upload(
        request,
        { id: String(id), index, hash },
        (async function* () {
          yield bytes;
        })(),
      );
    },
  );

  // Raw bytes: the body is handed over as the request stream, never parsed or buffered whole.
  await app.register(async (scope) => {
    const raw = scope.withTypeProvider<TypeBoxTypeProvider>();
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    raw.post(
      '/api/v1/assets/audio/chunk_file/:id',
      {
        onRequest: app.requireUser(uploaders),
        schema: {
          tags,
          summary: 'Chunk (raw bytes in the body)',
          params: IdParam,
          querystring: Type.Object({
            index: ChunkIndex,
            hash: Type.Optional(Sha256Hex),
          }),
          response: { 200: ChunkReply, ...errors },
        },
      },
      (request) =>
        chunks.upload(
          request,
          { id: request.params.id, index: request.query.index, hash: request.query.hash },
          request.raw,
        ),
    );
  });

  app.post(
    '/api/v1/assets/audio/merge',
    {
      onRequest: app.requireUser(uploaders),
      schema: {
        tags,
        summary: 'Merge',
        body: MergeRequest,
        response: { 200: AssetReply, ...bodyErrors },
      },
    },
    (request) => app.command(request, S.assetMerge, request.body),
  );

  app.post(
    '/api/v1/assets/audio/submit/:id',
    {
      onRequest: app.requireUser(uploaders),
      schema: {
        tags,
        summary: 'Submit a merged draft',
        params: IdParam,
        response: { 200: AssetReply, ...bodyErrors },
      },
    },
    (request) => app.command(request, S.assetSubmit, { id: request.params.id }),
  );

  const ownList = (
    kind: 'drafts' | 'rejects',
    subject: typeof S.assetListDrafts | typeof S.assetListRejects,
  ) =>
    app.get(
      `/api/v1/assets/audio/${kind}/:uid`,
      {
        onRequest: app.requireUser(),
        schema: {
          tags,
          summary: kind === 'drafts' ? 'ListDraft' : 'ListReject',
          params: UidParam,
          querystring: Type.Object(Paging),
          response: { 200: AssetPage, ...errors },
        },
      },
      (request) => app.command(request, subject, { uid: request.params.uid, ...request.query }),
    );
  ownList('drafts', S.assetListDrafts);
  ownList('rejects', S.assetListRejects);

  const ownDelete = (
    path: string,
    subject: typeof S.assetDeleteDraft | typeof S.assetDeleteReject,
  ) =>
    app.delete(
      path,
      {
        onRequest: app.requireUser(),
        schema: { tags, params: IdParam, response: { 200: Type.Object({}), ...bodyErrors } },
      },
      (request) => app.command(request, subject, { id: request.params.id }),
    );
  ownDelete('/api/v1/assets/audio/drafts/:id', S.assetDeleteDraft);
  ownDelete('/api/v1/assets/audio/reject/:id', S.assetDeleteReject);

  app.get(
    '/api/v1/assets/audio',
    {
      onRequest: app.requireUser(),
      schema: {
        tags,
        summary: 'Find',
        querystring: Type.Object({
          name: Type.Optional(Type.String({ maxLength: 255 })),
          status: Type.Optional(AssetStatusSchema),
          owner: Type.Optional(UserId),
          ...Paging,
        }),
        response: { 200: AssetPage, ...errors },
      },
    },
    (request) => app.command(request, S.assetFind, request.query),
  );

  app.get(
    '/api/v1/assets/audio/by_id',
    {
      onRequest: app.requireUser(),
      schema: {
        tags,
        summary: 'ID',
        querystring: Type.Object({ id: IdParam.properties.id }),
        response: { 200: AssetReply, ...errors },
      },
    },
    (request) => app.command(request, S.assetGet, { id: request.query.id }),
  );

  // Every file is an mp3 (the original is checked to be one; the renditions are made as one).
  const audioFile = {
    content: { 'audio/mpeg': { schema: { type: 'string', format: 'binary' } } },
  };
  const downloadSchema = {
    tags,
    summary: 'Download: file=0 original, 1 archive rendition, 2 live rendition; Range supported',
    params: IdParam,
    querystring: Type.Object({ file: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })) }),
    response: {
      200: { description: 'The file', ...audioFile },
      206: { description: 'The asked-for byte range (Range)', ...audioFile },
      304: { description: 'Not modified (If-None-Match names the current ETag)', type: 'null' },
      416: { description: 'The range lies outside the file', type: 'null' },
      ...errors,
    },
  };
  // HEAD is its own route: fastify's automatic one would replace Content-Length with the (empty)
  // body's length, and a client asking HEAD wants the real size.
  for (const method of ['GET', 'HEAD'] as const) {
    app.route({
      method,
      url: '/api/v1/assets/audio/download/:id',
      exposeHeadRoute: false,
      onRequest: app.requireUser(),
      schema: { ...downloadSchema, ...(method === 'HEAD' ? { hide: true } : {}) },
      handler: async (request, reply) => {
        const file = (request.query.file ?? 0) as AssetFileKind;
        // Asked first, so that an asset that is not there (or not the caller's) is a 404 whether
        // or not this gateway can read IPFS.
        const target = await app.command(request, S.assetDownload, {
          id: request.params.id,
          file,
        });
        if (!opts.ipfs) {
          throw new VaultError(
            'unavailable',
            'downloads need the gateway to reach IPFS: set IPFS_API_URL',
          );
        }
        return sendAssetFile(request, reply, opts.ipfs, target);
      },
    });
  }

  const review = (
    action: 'resolve' | 'disable' | 'recover',
    subject: typeof S.assetResolve | typeof S.assetDisable | typeof S.assetRecover,
  ) =>
    app.post(
      `/api/v1/assets/audio/${action}/:id`,
      {
        onRequest: app.requireUser(reviewers),
        schema: {
          tags,
          summary: action,
          params: IdParam,
          response: { 200: AssetReply, ...bodyErrors },
        },
      },
      (request) => app.command(request, subject, { id: request.params.id }),
    );
  review('resolve', S.assetResolve);
  review('disable', S.assetDisable);
  review('recover', S.assetRecover);

  app.post(
    '/api/v1/assets/audio/reject/:id',
    {
      onRequest: app.requireUser(reviewers),
      schema: {
        tags,
        summary: 'Reject, with the reason the contributor will see',
        params: IdParam,
        body: Type.Object(
          { reason: Type.String({ minLength: 1, maxLength: 1000 }) },
          { additionalProperties: false },
        ),
        response: { 200: AssetReply, ...bodyErrors },
      },
    },
    (request) =>
      app.command(request, S.assetReject, { id: request.params.id, reason: request.body.reason }),
  );

  app.delete(
    '/api/v1/assets/audio/:id',
    {
      onRequest: app.requireUser(reviewers),
      schema: {
        tags,
        summary: 'Delete (POST or DISABLE)',
        params: IdParam,
        response: { 200: AssetReply, ...bodyErrors },
      },
    },
    (request) => app.command(request, S.assetDelete, { id: request.params.id }),
  );
};
