import {
  CommandSubjects,
  CreateDownloadTaskQuery,
  CreateUploadTaskBody,
  DownloadTask,
  Envelope,
  ErrorEnvelope,
  MasterTaskParams,
  PrivateStatusChoices,
  PrivateUploadTask,
  PrivateUploadTaskList,
  UpdateDownloadTaskBody,
  UpdatePrivateTaskBody,
  UpdateUploadTaskBody,
  UploadTask,
} from '@media-vault/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { dropEmptyFields, queryFromGetBody } from './form-fields.js';

const tags = ['film master tasks (seed 000)'];
const errors = {
  400: ErrorEnvelope,
  401: ErrorEnvelope,
  403: ErrorEnvelope,
  404: ErrorEnvelope,
  409: ErrorEnvelope,
  // The tasks service is down or slow.
  503: ErrorEnvelope,
  504: ErrorEnvelope,
};
/** Routes that read a body may also find it too large (413) or of another type (415). */
const bodyErrors = { ...errors, 413: ErrorEnvelope, 415: ErrorEnvelope };

export const PrivateTaskListReply = Type.Object({
  data: PrivateUploadTaskList,
  message: Type.String(),
  meta: Type.Object({
    status_choices: Type.Array(Type.Object({ code: Type.Integer(), name: Type.String() })),
  }),
});

/** The seven seed 000 task routes, paths exactly as the seed writes them (typo `pbulic` included). */
export const taskRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const optionalNumbers = dropEmptyFields(['percent', 'size']);

  app.post(
    '/api/v1/tasks/upload/pbulic/',
    {
      onRequest: app.requireUser(),
      schema: {
        tags,
        summary: '新建上载任务: create a source and its public block upload task (status 0)',
        description:
          'With `path` (relative to the ingest root of the agent) and `agent` (one of your registered agents), the agent is asked to seal the master.',
        body: CreateUploadTaskBody,
        response: { 200: Envelope(UploadTask), ...bodyErrors },
      },
    },
    async (request) => ({
      data: await app.command(request, CommandSubjects.uploadCreate, request.body),
      message: '',
    }),
  );

  app.patch(
    '/api/v1/tasks/upload/pbulic/:id/',
    {
      onRequest: app.requireUser(),
      preValidation: optionalNumbers,
      schema: {
        tags,
        summary: '提交上载任务状态: report status, percent and the public block of an upload task',
        params: MasterTaskParams,
        body: UpdateUploadTaskBody,
        response: { 200: Envelope(UploadTask), ...bodyErrors },
      },
    },
    async (request) => ({
      data: await app.command(request, CommandSubjects.uploadUpdate, {
        ...request.body,
        id: request.params.id,
      }),
      message: '',
    }),
  );

  app.get(
    '/api/v1/tasks/download/',
    {
      onRequest: app.requireUser(),
      preValidation: queryFromGetBody(app.initialConfig.bodyLimit ?? 1_048_576),
      schema: {
        tags,
        summary: '新建下载任务: open (or return the open) download task of a source',
        description:
          'Needs a valid grant (or ownership of the source). Returns the unfinished download task of the caller for the source when there is one. `source_id` may also come as a form or JSON body.',
        querystring: CreateDownloadTaskQuery,
        response: { 200: Envelope(DownloadTask), ...errors, 413: ErrorEnvelope },
      },
    },
    async (request) => ({
      data: await app.command(request, CommandSubjects.downloadCreate, request.query),
      message: '',
    }),
  );

  app.patch(
    '/api/v1/tasks/download/:id/',
    {
      onRequest: app.requireUser(),
      preValidation: optionalNumbers,
      schema: {
        tags,
        summary: '提交下载任务状态: report status and percent of a download task',
        params: MasterTaskParams,
        body: UpdateDownloadTaskBody,
        response: { 200: Envelope(DownloadTask), ...bodyErrors },
      },
    },
    async (request) => ({
      data: await app.command(request, CommandSubjects.downloadUpdate, {
        ...request.body,
        id: request.params.id,
      }),
      message: '',
    }),
  );

  app.get(
    '/api/v1/tasks/download/:id/',
    {
      onRequest: app.requireUser(),
      schema: {
        tags,
        summary: '获取下载任务详情: a download task with its private block fields',
        params: MasterTaskParams,
        response: { 200: Envelope(DownloadTask), ...errors },
      },
    },
    async (request) => ({
      data: await app.command(request, CommandSubjects.downloadGet, { id: request.params.id }),
      message: '',
    }),
  );

  app.get(
    '/api/v1/tasks/upload/private/',
    {
      onRequest: app.requireUser(),
      schema: {
        tags,
        summary: '获取私有块上载任务列表: the private block uploads you owe downloaders',
        response: {
          200: PrivateTaskListReply,
          401: ErrorEnvelope,
          503: ErrorEnvelope,
          504: ErrorEnvelope,
        },
      },
    },
    async (request) => ({
      data: await app.command(request, CommandSubjects.privateList, {}),
      message: '',
      meta: { status_choices: PrivateStatusChoices },
    }),
  );

  app.patch(
    '/api/v1/tasks/upload/private/:id',
    {
      onRequest: app.requireUser(),
      preValidation: optionalNumbers,
      schema: {
        tags,
        summary: '提交私有块上载任务状态: report on a private block upload',
        description:
          "At status 8 with a hash, the download task's `private_status/name/size/hash` fill in.",
        params: MasterTaskParams,
        body: UpdatePrivateTaskBody,
        response: { 200: Envelope(PrivateUploadTask), ...bodyErrors },
      },
    },
    async (request) => ({
      data: await app.command(request, CommandSubjects.privateUpdate, {
        ...request.body,
        id: request.params.id,
      }),
      message: '',
    }),
  );
};
