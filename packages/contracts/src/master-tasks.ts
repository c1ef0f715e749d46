/**
 * Seed 000 film master tasks: sources, upload/download/private-upload tasks and grants, owned by
 * the tasks service. The records are exactly the seed's response examples: integer ids, `size` a
 * number of bytes, `created_at` as `YYYY-MM-DD HH:mm:ss` (UTC), empty strings for text not yet known.
 */
import { Type, type Static, type TProperties } from '@sinclair/typebox';
import { AgentId } from './agents.js';
import { StatusEvent } from './events.js';
import { IdempotencyKeyField } from './idempotency.js';
import { SignedGrant, SignedRevocation } from './grant-statements.js';
import { UserId } from './principal.js';
import { TaskStatus, TaskStatusNames } from './task-status.js';

/** The three task kinds; each is also the `<kind>` of its event subject `events.tasks.<kind>.<id>`. */
export const MasterTaskKinds = ['upload', 'download', 'private'] as const;
export type MasterTaskKind = (typeof MasterTaskKinds)[number];

/**
 * The path each kind moves forward along (SPEC §5). A task may move to any later status on its
 * path, repeat its status with a new percent, go to 9 from anywhere and be retried from 9 to 0.
 */
export const MasterTaskPaths: Record<MasterTaskKind, readonly TaskStatus[]> = {
  upload: [0, 1, 2, 3, 8],
  download: [0, 4, 5, 6, 7, 8],
  private: [0, 3, 8],
};

/** Whether the kind's status machine lets a task move from one status to another. */
export function isAllowedTransition(kind: MasterTaskKind, from: number, to: number): boolean {
  if (from === to || to === TaskStatus.error) return true;
  if (from === TaskStatus.error && to === TaskStatus.notStarted) return true;
  const path: readonly number[] = MasterTaskPaths[kind];
  const at = path.indexOf(from);
  const next = path.indexOf(to);
  return at !== -1 && next > at;
}

/** Done or failed: a user has at most one download task of a source that is not. */
export const isFinishedStatus = (status: number): boolean =>
  status === TaskStatus.done || status === TaskStatus.error;

/** `meta.status_choices` of the private upload list, exactly as the seed shows it. */
export const PrivateStatusChoices = [0, 3, 8, 9].map((code) => ({
  code,
  name: TaskStatusNames[code as TaskStatus],
}));

const MAX_INT = 2_147_483_647;

export const MasterTaskId = Type.Integer({ minimum: 1, maximum: MAX_INT, description: 'task id' });
export const MasterSourceId = Type.Integer({
  minimum: 1,
  maximum: MAX_INT,
  description: 'source (master file) id',
});
const StatusCode = Type.Integer({
  minimum: 0,
  maximum: 9,
  description:
    '0=未开始 1=分块中 2=加密中 3=上载中 4=下载中 5=等待授权中 6=下载密钥中 7=合成中 8=已完成 9=出现错误',
});
const Percent = Type.Integer({ minimum: 0, maximum: 100, description: 'progress, 0–100' });
const Bytes = Type.Number({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'bytes' });
const SeedTime = Type.String({ description: 'UTC, `YYYY-MM-DD HH:mm:ss` as in seed 000' });
const Text = (maxLength: number, description: string) => Type.String({ maxLength, description });

/** Fields every task record shows: the task's own status and the source it belongs to. */
const taskFields = {
  id: MasterTaskId,
  status: StatusCode,
  percent: Percent,
  series_id: Type.Integer({ description: 'series (programme) id' }),
  source_id: MasterSourceId,
  source_name: Type.String({ description: 'name of the original master file' }),
  uuid: Type.String({ description: 'programme master uuid' }),
  ip: Type.String({ description: 'IPFS address of the uploading machine' }),
  file: Type.String({ description: 'folder name' }),
  name: Type.String({ description: 'block file name' }),
  size: Bytes,
  hash: Type.String({ description: 'IPFS hash of the block' }),
  created_at: SeedTime,
};

/** An upload (public block) task; `ip`…`hash` describe the public block. */
export const UploadTask = Type.Object(taskFields);
export type UploadTask = Static<typeof UploadTask>;

/** A private-block upload task; `ip`…`hash` describe the private block once reported. */
export const PrivateUploadTask = Type.Object(taskFields);
export type PrivateUploadTask = Static<typeof PrivateUploadTask>;

/**
 * A download task. `ip`…`hash` are the public block's (what the downloader fetches); `private_*`
 * mirror the private upload task opened for it, the hash filled in once that upload is done.
 */
export const DownloadTask = Type.Object({
  ...taskFields,
  private_status: StatusCode,
  private_name: Type.String(),
  private_size: Bytes,
  private_hash: Type.String(),
});
export type DownloadTask = Static<typeof DownloadTask>;

export const PrivateUploadTaskList = Type.Array(PrivateUploadTask);
export type PrivateUploadTaskList = Static<typeof PrivateUploadTaskList>;

/**
 * `GET /api/v1/tasks/` (ours): the caller's own upload and download tasks, newest first, so a
 * studio's page can list work that changed while it was closed. The private uploads a caller owes
 * have the seed's own list.
 */
export const MyTasks = Type.Object({
  uploads: Type.Array(UploadTask),
  downloads: Type.Array(DownloadTask),
});
export type MyTasks = Static<typeof MyTasks>;

/** `GET /api/v1/sources/{source_id}/`: a master and its public block. */
export const MasterSource = Type.Object({
  id: MasterSourceId,
  source_id: MasterSourceId,
  series_id: Type.Integer(),
  uuid: Type.String(),
  source_name: Type.String(),
  user_id: UserId,
  upload_id: MasterTaskId,
  status: Type.Integer({ description: 'status of the public block upload; 8 when downloadable' }),
  percent: Percent,
  ip: Type.String(),
  file: Type.String(),
  name: Type.String({ description: 'public block file name' }),
  size: Bytes,
  hash: Type.String({ description: 'public block IPFS hash; empty until uploaded' }),
  sealed_by: Type.String({ description: 'agent that sealed the master; empty if none' }),
  created_at: SeedTime,
});
export type MasterSource = Static<typeof MasterSource>;

export const GrantStatuses = ['active', 'revoked'] as const;
export const GrantStatus = Type.Union(GrantStatuses.map((s) => Type.Literal(s)));
export type GrantStatus = Static<typeof GrantStatus>;

/** The owner's (or root's) authorisation for one user to download one source. */
export const Grant = Type.Object({
  id: Type.Integer(),
  source_id: MasterSourceId,
  user_id: UserId,
  granted_by: UserId,
  not_before: Type.Union([Type.String({ description: 'ISO 8601, UTC' }), Type.Null()]),
  not_after: Type.Union([Type.String({ description: 'ISO 8601, UTC' }), Type.Null()]),
  status: GrantStatus,
  /** True when the grant lets its user create a download task right now. */
  valid: Type.Boolean(),
  signed_grant: Type.Union([SignedGrant, Type.Null()], {
    description:
      'The owner-signed statement naming the recipient agent: without it no agent releases the key',
  }),
  signed_revocation: Type.Union([SignedRevocation, Type.Null()]),
  created_at: SeedTime,
  updated_at: SeedTime,
});
export type Grant = Static<typeof Grant>;

export const GrantList = Type.Array(Grant);
export type GrantList = Static<typeof GrantList>;

// ---- HTTP parameters (the gateway validates and coerces form strings against these) ----

/**
 * Relative to the agent's ingest root, `/`-separated. The schema refuses backslashes and control
 * characters; the tasks service also refuses absolute paths and `..` segments with a message.
 */
export const IngestPath = Type.String({
  minLength: 1,
  maxLength: 4096,
  pattern: '^[^\\\\\\u0000-\\u001f]+$',
  description: "path of the master relative to the agent's ingest root",
});

export const CreateUploadTaskBody = Type.Object(
  {
    series_id: Type.Integer({ minimum: 0, maximum: MAX_INT, description: '系列ID' }),
    uuid: Type.String({ minLength: 1, maxLength: 128, description: '节目UUID' }),
    source_name: Type.String({ minLength: 1, maxLength: 1024, description: '节目名' }),
    path: Type.Optional(IngestPath),
    agent: Type.Optional(AgentId),
  },
  { additionalProperties: false },
);
export type CreateUploadTaskBody = Static<typeof CreateUploadTaskBody>;

/** The create command: the body, and the `Idempotency-Key` header when the client sent one. */
export const CreateUploadTaskRequest = Type.Object(
  { ...CreateUploadTaskBody.properties, ...IdempotencyKeyField.properties },
  { additionalProperties: false },
);
export type CreateUploadTaskRequest = Static<typeof CreateUploadTaskRequest>;

/** Not in the seed: why a task went to 9. Kept until the task moves on; shown in its events. */
const Reason = Type.Optional(Text(1000, 'why the task failed; only with status 9'));

const blockReport = {
  status: StatusCode,
  percent: Type.Optional(Percent),
  reason: Reason,
  name: Type.Optional(Text(1024, 'file name')),
  file: Type.Optional(Text(1024, 'folder name')),
  hash: Type.Optional(Text(256, 'IPFS hash; required (now or before) to reach status 8')),
  size: Type.Optional(Bytes),
  ip: Type.Optional(Text(256, 'IPFS address of the uploading machine')),
};

export const UpdateUploadTaskBody = Type.Object(blockReport, { additionalProperties: false });
export type UpdateUploadTaskBody = Static<typeof UpdateUploadTaskBody>;

export const UpdatePrivateTaskBody = Type.Object(blockReport, { additionalProperties: false });
export type UpdatePrivateTaskBody = Static<typeof UpdatePrivateTaskBody>;

export const UpdateDownloadTaskBody = Type.Object(
  { status: StatusCode, percent: Type.Optional(Percent), reason: Reason },
  { additionalProperties: false },
);
export type UpdateDownloadTaskBody = Static<typeof UpdateDownloadTaskBody>;

export const CreateDownloadTaskQuery = Type.Object(
  {
    source_id: MasterSourceId,
    agent: Type.Optional(AgentId),
  },
  { additionalProperties: false },
);
export type CreateDownloadTaskQuery = Static<typeof CreateDownloadTaskQuery>;

/** ISO 8601 (a zone may be left out: then UTC), or the seed's `YYYY-MM-DD HH:mm:ss`; empty: none. */
const GrantTime = Type.String({
  maxLength: 40,
  pattern:
    '^$|^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})?)?$',
  description: 'ISO 8601 time; without a zone it is UTC',
});

export const CreateGrantBody = Type.Object(
  {
    user_id: UserId,
    not_before: Type.Optional(GrantTime),
    not_after: Type.Optional(GrantTime),
    signed_grant: Type.Optional(SignedGrant),
  },
  { additionalProperties: false },
);
export type CreateGrantBody = Static<typeof CreateGrantBody>;

export const MasterTaskParams = Type.Object({ id: MasterTaskId }, { additionalProperties: false });
export const MasterSourceParams = Type.Object(
  { source_id: MasterSourceId },
  { additionalProperties: false },
);
export const GrantParams = Type.Object(
  { source_id: MasterSourceId, user_id: UserId },
  { additionalProperties: false },
);

// ---- commands ----

const withId = <T extends TProperties>(props: T) =>
  Type.Object({ id: MasterTaskId, ...props }, { additionalProperties: false });

export const UpdateUploadTaskRequest = withId(blockReport);
export type UpdateUploadTaskRequest = Static<typeof UpdateUploadTaskRequest>;
export const UpdatePrivateTaskRequest = withId(blockReport);
export type UpdatePrivateTaskRequest = Static<typeof UpdatePrivateTaskRequest>;
export const UpdateDownloadTaskRequest = withId({
  status: StatusCode,
  percent: Type.Optional(Percent),
  reason: Reason,
});
export type UpdateDownloadTaskRequest = Static<typeof UpdateDownloadTaskRequest>;
export const GetDownloadTaskRequest = MasterTaskParams;
export const ListPrivateTasksRequest = Type.Object({}, { additionalProperties: false });
export const ListMyTasksQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        default: 50,
        description: 'at most this many of each kind, newest first',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ListMyTasksQuery = Static<typeof ListMyTasksQuery>;
export const GetSourceRequest = MasterSourceParams;
export const DeleteSourceRequest = MasterSourceParams;
export const CreateGrantRequest = Type.Object(
  { source_id: MasterSourceId, ...CreateGrantBody.properties },
  { additionalProperties: false },
);
export type CreateGrantRequest = Static<typeof CreateGrantRequest>;
export const ListGrantsRequest = MasterSourceParams;
export const RevokeGrantBody = Type.Object(
  { signed_revocation: Type.Optional(SignedRevocation) },
  { additionalProperties: false },
);
export type RevokeGrantBody = Static<typeof RevokeGrantBody>;
export const RevokeGrantRequest = Type.Object(
  { ...GrantParams.properties, ...RevokeGrantBody.properties },
  { additionalProperties: false },
);
export type RevokeGrantRequest = Static<typeof RevokeGrantRequest>;

export const MasterTaskCommandSubjects = {
  uploadCreate: 'svc.tasks.upload.create',
  uploadUpdate: 'svc.tasks.upload.update',
  downloadCreate: 'svc.tasks.download.create',
  downloadUpdate: 'svc.tasks.download.update',
  downloadGet: 'svc.tasks.download.get',
  privateList: 'svc.tasks.private.list',
  mine: 'svc.tasks.mine',
  privateUpdate: 'svc.tasks.private.update',
  sourceGet: 'svc.tasks.source.get',
  sourceDelete: 'svc.tasks.source.delete',
  grantCreate: 'svc.tasks.grant.create',
  grantList: 'svc.tasks.grant.list',
  grantRevoke: 'svc.tasks.grant.revoke',
} as const;

const M = MasterTaskCommandSubjects;
export const MasterTaskCommands = {
  [M.uploadCreate]: { request: CreateUploadTaskRequest, response: UploadTask },
  [M.uploadUpdate]: { request: UpdateUploadTaskRequest, response: UploadTask },
  [M.downloadCreate]: { request: CreateDownloadTaskQuery, response: DownloadTask },
  [M.downloadUpdate]: { request: UpdateDownloadTaskRequest, response: DownloadTask },
  [M.downloadGet]: { request: GetDownloadTaskRequest, response: DownloadTask },
  [M.privateList]: { request: ListPrivateTasksRequest, response: PrivateUploadTaskList },
  [M.mine]: { request: ListMyTasksQuery, response: MyTasks },
  [M.privateUpdate]: { request: UpdatePrivateTaskRequest, response: PrivateUploadTask },
  [M.sourceGet]: { request: GetSourceRequest, response: MasterSource },
  [M.sourceDelete]: { request: DeleteSourceRequest, response: MasterSource },
  [M.grantCreate]: { request: CreateGrantRequest, response: Grant },
  [M.grantList]: { request: ListGrantsRequest, response: GrantList },
  [M.grantRevoke]: { request: RevokeGrantRequest, response: Grant },
} as const;

// ---- events ----

/**
 * Who a task belongs to travels with its event, so subscribers need not ask; so does why it
 * failed (empty unless the status is 9).
 */
const owner = { user_id: UserId, reason: Type.String() };

export const UploadTaskEvent = StatusEvent(
  Type.Object({ ...taskFields, ...owner, sealed_by: Type.String() }),
  StatusCode,
);
export type UploadTaskEvent = Static<typeof UploadTaskEvent>;

export const DownloadTaskEvent = StatusEvent(
  Type.Object({
    ...DownloadTask.properties,
    ...owner,
    agent: Type.String({ description: "the downloader's agent; empty if none" }),
    private_task_id: MasterTaskId,
  }),
  StatusCode,
);
export type DownloadTaskEvent = Static<typeof DownloadTaskEvent>;

export const PrivateTaskEvent = StatusEvent(
  Type.Object({ ...taskFields, ...owner, download_task_id: MasterTaskId }),
  StatusCode,
);
export type PrivateTaskEvent = Static<typeof PrivateTaskEvent>;

export const GrantEvent = StatusEvent(Grant, GrantStatus);
export type GrantEvent = Static<typeof GrantEvent>;

/** Event `type`s: `<kind>.created`, `<kind>.updated`, and `grant.revoked`. */
export const MasterEventTypes = {
  created: (kind: MasterTaskKind | 'grant') => `${kind}.created`,
  updated: (kind: MasterTaskKind | 'grant') => `${kind}.updated`,
  revoked: 'grant.revoked',
} as const;
