import {
  AudioAssetCommandSubjects as S,
  ChunkIndex,
  ChunkJsonBody,
  ChunkReply,
  GrpcError,
  IdParam,
  Roles,
  Sha256Hex,
  VaultError,
  type AssetFileKind,
} from '@media-vault/contracts';
import type {
  FastifyPluginAsyncTypebox,
  TypeBoxTypeProvider,
} from '@fastify/type-provider-typebox';
import type { IpfsReader } from '@media-vault/ipfs';
import type { StagingBuckets } from '@media-vault/object-store';
import { Type } from '@sinclair/typebox';
import { ChunkUploader } from '../assets/chunk-upload.js';
import { sendAssetFile } from '../assets/download.js';

const uploaders = [Roles.root, Roles.assets] as const;
const grpc = { style: 'grpc' } as const;
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
  readonly staging: StagingBuckets;
  readonly ipfs: IpfsReader;
  /** Body limit of the base64 JSON chunk route; raw chunk uploads are bounded by the chunk plan. */
  readonly chunkBodyLimit: number;
}

/**
 * The seed 002 routes where bytes stream (chunk uploads, downloads): they write the staging
 * store or read IPFS besides asking the assets service, so they are written out here; every other
 * audio asset route is a declared binding the relay mounts.
 */
export const audioAssetRoutes: FastifyPluginAsyncTypebox<AudioAssetRouteOptions> = async (
  app,
  opts,
) => {
  const chunks = new ChunkUploader(app, opts.staging);
  const tags = ['audio assets'];

  app.post(
    '/api/v1/assets/audio/chunk',
    {
      onRequest: app.requireUser(uploaders),
      bodyLimit: opts.chunkBodyLimit,
      // As a form, `data` (the chunk in base64) is the one large field.
      config: { ...grpc, formFieldBytes: opts.chunkBodyLimit },
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
        config: grpc,
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
      config: grpc,
      onRequest: app.requireUser(),
      schema: { ...downloadSchema, ...(method === 'HEAD' ? { hide: true } : {}) },
      handler: async (request, reply) => {
        const file = (request.query.file ?? 0) as AssetFileKind;
        const target = await app.command(request, S.assetDownload, {
          id: request.params.id,
          file,
        });
        return sendAssetFile(request, reply, opts.ipfs, target);
      },
    });
  }
};
