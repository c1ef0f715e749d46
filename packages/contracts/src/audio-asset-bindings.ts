/** Seed 002 audio asset routes (grpc-gateway JSON), each a command to the assets service. */
import { Type } from '@sinclair/typebox';
import {
  AssetStatusSchema,
  AudioAssetCommandSubjects as S,
  CreateAssetRequest,
  MergeRequest,
} from './audio-assets.js';
import { bind, type HttpBinding } from './http-binding.js';
import { IdParam, Paging, UidParam } from './http-params.js';
import { Roles, UserId } from './principal.js';

const uploaders = [Roles.root, Roles.assets];
const reviewers = [Roles.root, Roles.reviewerAssets];
// 503/504: the assets service is down or slow; 413/415 where a body is read.
const errors = [400, 401, 403, 404, 409, 503, 504] as const;
const bodyErrors = [...errors, 413, 415] as const;
const grpc = 'grpc' as const;
const tags = ['audio assets'];
const IdQuery = Type.Object({ id: IdParam.properties.id });
// grpc-gateway fills a field the client left out with "", so an empty reason means none given.
const Reason = Type.String({ maxLength: 1000 });

const ownList = (
  kind: 'drafts' | 'rejects',
  subject: typeof S.assetListDrafts | typeof S.assetListRejects,
) =>
  bind({
    method: 'GET',
    paths: [`/api/v1/assets/audio/${kind}/:uid`],
    style: grpc,
    subject,
    tags,
    summary: kind === 'drafts' ? 'ListDraft' : 'ListReject',
    params: UidParam,
    query: Type.Object(Paging),
    errors,
  });

const ownDelete = (path: string, subject: typeof S.assetDeleteDraft | typeof S.assetDeleteReject) =>
  bind({
    method: 'DELETE',
    paths: [path],
    style: grpc,
    subject,
    tags,
    params: IdParam,
    errors: bodyErrors,
  });

const review = (
  action: 'resolve' | 'disable' | 'recover',
  subject: typeof S.assetResolve | typeof S.assetDisable | typeof S.assetRecover,
) =>
  bind({
    method: 'POST',
    paths: [`/api/v1/assets/audio/${action}/:id`],
    style: grpc,
    subject,
    roles: reviewers,
    tags,
    summary: action,
    params: IdParam,
    errors: bodyErrors,
  });

export const AudioAssetBindings = [
  bind({
    method: 'POST',
    paths: ['/api/v1/assets/audio'],
    style: grpc,
    subject: S.assetCreate,
    roles: uploaders,
    tags,
    summary: 'Create',
    body: CreateAssetRequest,
    idempotencyKey: true,
    errors: bodyErrors,
  }),
  bind({
    method: 'GET',
    paths: ['/api/v1/assets/audio/chunks'],
    style: grpc,
    subject: S.assetChunks,
    roles: uploaders,
    tags,
    summary: 'Chunks: the chunks already stored, to resume an upload',
    query: IdQuery,
    errors,
  }),
  bind({
    method: 'POST',
    paths: ['/api/v1/assets/audio/merge'],
    style: grpc,
    subject: S.assetMerge,
    roles: uploaders,
    tags,
    summary: 'Merge',
    body: MergeRequest,
    errors: bodyErrors,
  }),
  bind({
    method: 'POST',
    paths: ['/api/v1/assets/audio/submit/:id'],
    style: grpc,
    subject: S.assetSubmit,
    roles: uploaders,
    tags,
    summary: 'Submit a merged draft',
    params: IdParam,
    errors: bodyErrors,
  }),
  ownList('drafts', S.assetListDrafts),
  ownList('rejects', S.assetListRejects),
  ownDelete('/api/v1/assets/audio/drafts/:id', S.assetDeleteDraft),
  ownDelete('/api/v1/assets/audio/reject/:id', S.assetDeleteReject),
  bind({
    method: 'GET',
    paths: ['/api/v1/assets/audio'],
    style: grpc,
    subject: S.assetFind,
    tags,
    summary: 'Find',
    query: Type.Object({
      name: Type.Optional(Type.String({ maxLength: 255 })),
      status: Type.Optional(AssetStatusSchema),
      owner: Type.Optional(UserId),
      ...Paging,
    }),
    errors,
  }),
  bind({
    method: 'GET',
    paths: ['/api/v1/assets/audio/by_id'],
    style: grpc,
    subject: S.assetGet,
    tags,
    summary: 'ID',
    query: IdQuery,
    errors,
  }),
  review('resolve', S.assetResolve),
  review('disable', S.assetDisable),
  review('recover', S.assetRecover),
  bind({
    method: 'POST',
    paths: ['/api/v1/assets/audio/reject/:id'],
    style: grpc,
    subject: S.assetReject,
    roles: reviewers,
    tags,
    summary: 'Reject, with the reason the contributor will see',
    description:
      'Seed 002 declares Reject without `body`, so grpc-gateway takes `reason` from the query string; a JSON body carrying it works too. Without a reason the asset is rejected with an empty one.',
    params: IdParam,
    query: Type.Object({ reason: Type.Optional(Reason) }),
    body: Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }),
    bodyOptional: true,
    errors: bodyErrors,
  }),
  bind({
    method: 'DELETE',
    paths: ['/api/v1/assets/audio/:id'],
    style: grpc,
    subject: S.assetDelete,
    roles: reviewers,
    tags,
    summary: 'Delete (POST or DISABLE)',
    params: IdParam,
    errors: bodyErrors,
  }),
] as const satisfies readonly HttpBinding[];
