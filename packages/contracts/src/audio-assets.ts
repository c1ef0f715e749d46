/**
 * Seed 002 audio assets, owned by the assets service. grpc-gateway conventions: lowerCamelCase
 * fields, 64-bit numbers (ids, byte sizes) as decimal strings.
 */
import { Type, type Static } from '@sinclair/typebox';
import { AssetStatuses } from './asset-status.js';
import { IdempotencyKeyField } from './idempotency.js';
import { UserId } from './principal.js';

const Int64 = (description: string) =>
  Type.String({ pattern: '^[0-9]{1,19}$', description: `${description} (64-bit, as a string)` });
/**
 * Accepts a JSON number too, as grpc-gateway does for int64 fields; only up to 2^53 - 1, beyond
 * which a JSON number no longer names one integer.
 */
const Int64In = (description: string) =>
  Type.Union([Int64(description), Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })]);

/** The largest page offset a list takes (the database's int4); larger ones are a 400. */
export const MAX_OFFSET = 2_147_483_647;
const Offset = Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 }));

export const AssetId = Int64('asset id');
export const Sha256Hex = Type.String({
  pattern: '^[0-9a-fA-F]{64}$',
  description: 'sha256 of the bytes, hex',
});
export const AssetStatusSchema = Type.Union(AssetStatuses.map((s) => Type.Literal(s)));

/** 0 the uploaded original, 1 archive rendition (EBU R128, 320 kbps), 2 live (128 kbps, 44.1 kHz). */
export const AssetFileKind = Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)]);
export type AssetFileKind = Static<typeof AssetFileKind>;

export const AssetFile = Type.Object({
  file: AssetFileKind,
  cid: Type.String(),
  size: Int64('bytes'),
  bitrate: Type.Integer({ description: 'bits per second' }),
  sampleRate: Type.Integer(),
});
export type AssetFile = Static<typeof AssetFile>;

export const AudioProbe = Type.Object({
  formatName: Type.String(),
  codec: Type.String(),
  durationMs: Type.Integer(),
  bitrate: Type.Integer(),
  sampleRate: Type.Integer(),
  channels: Type.Integer(),
});
export type AudioProbe = Static<typeof AudioProbe>;

export const AudioAsset = Type.Object({
  id: AssetId,
  userId: UserId,
  name: Type.String(),
  size: Int64('bytes of the whole file'),
  hash: Sha256Hex,
  status: AssetStatusSchema,
  /** Why the last merge failed, or why a reviewer rejected it; empty otherwise. */
  reason: Type.String(),
  chunkSize: Type.Integer(),
  chunkCount: Type.Integer(),
  merged: Type.Boolean(),
  probe: Type.Union([AudioProbe, Type.Null()]),
  files: Type.Array(AssetFile),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type AudioAsset = Static<typeof AudioAsset>;

const ById = Type.Object({ id: Int64In('asset id') }, { additionalProperties: false });
const AssetReply = Type.Object({ asset: AudioAsset });

export const CreateAssetRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    size: Int64In('bytes of the whole file'),
    hash: Sha256Hex,
  },
  { additionalProperties: false },
);
export type CreateAssetRequest = Static<typeof CreateAssetRequest>;

/** The create command: the body, and the `Idempotency-Key` header when the client sent one. */
export const CreateAssetCommand = Type.Object(
  { ...CreateAssetRequest.properties, ...IdempotencyKeyField.properties },
  { additionalProperties: false },
);
export type CreateAssetCommand = Static<typeof CreateAssetCommand>;

export const CreateAssetResponse = Type.Object({
  id: AssetId,
  exists: Type.Boolean({
    description:
      "True when the caller's own SUBMIT, POST or DISABLE asset has this hash: the copy is in " +
      "SUBMIT, nothing to upload. Another user's asset never counts: knowing a hash is not " +
      'holding the bytes, so the caller uploads them and the merge shares the stored files.',
  }),
  chunkSize: Type.Integer(),
  chunkCount: Type.Integer(),
  asset: AudioAsset,
});

export const StoredChunk = Type.Object({
  index: Type.Integer(),
  size: Int64('bytes'),
  hash: Sha256Hex,
});
export type StoredChunk = Static<typeof StoredChunk>;

export const ChunksResponse = Type.Object({
  id: AssetId,
  chunkSize: Type.Integer(),
  chunkCount: Type.Integer(),
  chunks: Type.Array(StoredChunk),
});

export const ChunkIndex = Type.Integer({ minimum: 0, maximum: 2_147_483_647 });

/**
 * The largest chunk any plan may ask for. The gateway streams a chunk into staging before the
 * assets service has seen it, so this is the bound on what one chunk request may write.
 */
export const MAX_ASSET_CHUNK_SIZE = 64 * 1024 * 1024;

/**
 * The staging key of one attempt at chunk `index` of asset `id`: a fresh `attempt` each time (the
 * store's keys are written once), so racing or retried uploads never touch each other's bytes.
 */
export const chunkObjectKey = (id: string | bigint, index: number, attempt: string): string =>
  `${id}/${index}/${attempt}`;

/** The prefix of every staging key chunkObjectKey gives for asset `id`, whatever its chunk. */
export const chunkObjectsPrefix = (id: string | bigint): string => `${id}/`;

/** Whether `object` was named for chunk `index` of asset `id` (by chunkObjectKey). */
export const objectBelongsToChunk = (object: string, id: string | bigint, index: number): boolean =>
  object.startsWith(`${id}/${index}/`) && object.split('/').length === 3;

/**
 * After the gateway has streamed a chunk into staging under a fresh key: the one request of a
 * chunk upload. The service checks the caller, the asset's state and the plan, and records it.
 */
export const ChunkCommitRequest = Type.Object(
  {
    id: Int64In('asset id'),
    index: ChunkIndex,
    object: Type.String({ maxLength: 1024 }),
    size: Type.Integer({ minimum: 0 }),
    hash: Sha256Hex,
  },
  { additionalProperties: false },
);
export const ChunkCommitResponse = Type.Object({
  index: Type.Integer(),
  size: Int64('bytes'),
  hash: Sha256Hex,
  /** True when the chunk was already stored: the new object is surplus and was discarded. */
  duplicate: Type.Boolean(),
});

/** `POST /api/v1/assets/audio/chunk` JSON body. */
export const ChunkJsonBody = Type.Object(
  {
    id: Int64In('asset id'),
    index: ChunkIndex,
    data: Type.String({ description: 'chunk bytes, base64' }),
    hash: Type.Optional(Sha256Hex),
  },
  { additionalProperties: false },
);

export const MergeRequest = Type.Object(
  {
    id: Int64In('asset id'),
    /** False keeps the merged asset in DRAFT until Submit. */
    submit: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const RejectRequest = Type.Object(
  { id: Int64In('asset id'), reason: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false },
);

export const ListOwnRequest = Type.Object(
  {
    uid: UserId,
    offset: Offset,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  },
  { additionalProperties: false },
);

export const FindRequest = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 255 })),
    status: Type.Optional(AssetStatusSchema),
    owner: Type.Optional(UserId),
    offset: Offset,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  },
  { additionalProperties: false },
);

export const AssetPage = Type.Object({
  items: Type.Array(AudioAsset),
  total: Int64('matching assets'),
});

export const DownloadRequest = Type.Object(
  { id: Int64In('asset id'), file: Type.Optional(AssetFileKind) },
  { additionalProperties: false },
);
export const DownloadTarget = Type.Object({
  cid: Type.String(),
  size: Type.Integer(),
  fileName: Type.String(),
  contentType: Type.String(),
});

export const Empty = Type.Object({});

export const AudioAssetCommandSubjects = {
  assetCreate: 'svc.assets.create',
  assetChunks: 'svc.assets.chunks',
  assetChunkCommit: 'svc.assets.chunk.commit',
  assetMerge: 'svc.assets.merge',
  assetSubmit: 'svc.assets.submit',
  assetListDrafts: 'svc.assets.drafts.list',
  assetDeleteDraft: 'svc.assets.drafts.delete',
  assetListRejects: 'svc.assets.rejects.list',
  assetDeleteReject: 'svc.assets.rejects.delete',
  assetFind: 'svc.assets.find',
  assetGet: 'svc.assets.get',
  assetDownload: 'svc.assets.download',
  assetResolve: 'svc.assets.resolve',
  assetReject: 'svc.assets.reject',
  assetDisable: 'svc.assets.disable',
  assetRecover: 'svc.assets.recover',
  assetDelete: 'svc.assets.delete',
} as const;

const S = AudioAssetCommandSubjects;
export const AudioAssetCommands = {
  [S.assetCreate]: { request: CreateAssetCommand, response: CreateAssetResponse },
  [S.assetChunks]: { request: ById, response: ChunksResponse },
  [S.assetChunkCommit]: { request: ChunkCommitRequest, response: ChunkCommitResponse },
  [S.assetMerge]: { request: MergeRequest, response: AssetReply },
  [S.assetSubmit]: { request: ById, response: AssetReply },
  [S.assetListDrafts]: { request: ListOwnRequest, response: AssetPage },
  [S.assetDeleteDraft]: { request: ById, response: Empty },
  [S.assetListRejects]: { request: ListOwnRequest, response: AssetPage },
  [S.assetDeleteReject]: { request: ById, response: Empty },
  [S.assetFind]: { request: FindRequest, response: AssetPage },
  [S.assetGet]: { request: ById, response: AssetReply },
  [S.assetDownload]: { request: DownloadRequest, response: DownloadTarget },
  [S.assetResolve]: { request: ById, response: AssetReply },
  [S.assetReject]: { request: RejectRequest, response: AssetReply },
  [S.assetDisable]: { request: ById, response: AssetReply },
  [S.assetRecover]: { request: ById, response: AssetReply },
  [S.assetDelete]: { request: ById, response: AssetReply },
} as const;

/** Audio asset events carry the full asset, previous and new status. */
export const AssetBuckets = {
  /** Uploaded chunks until the merge is done. */
  chunks: 'asset-chunks',
  /** Merged originals and renditions on their way from the media worker to IPFS. */
  files: 'asset-files',
} as const;
