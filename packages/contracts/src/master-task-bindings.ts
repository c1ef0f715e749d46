/** Seed 000 routes (`{data, message}`): agents, film master tasks, sources and grants. */
import { Type } from '@sinclair/typebox';
import {
  AgentCommandSubjects,
  GetAgentRequest as GetAgentParams,
  RegisterAgentBody,
} from './agents.js';
import { bind, type HttpBinding } from './http-binding.js';
import {
  CreateDownloadTaskQuery,
  CreateGrantBody,
  CreateUploadTaskBody,
  GrantParams,
  ListMyTasksQuery,
  MasterSourceParams,
  MasterTaskCommandSubjects as M,
  MasterTaskParams,
  PrivateStatusChoices,
  RevokeGrantBody,
  UpdateDownloadTaskBody,
  UpdatePrivateTaskBody,
  UpdateUploadTaskBody,
} from './master-tasks.js';

// 503/504 everywhere: the tasks service is down or slow. 413/415: a body too large or of another type.
const taskErrors = [400, 401, 403, 404, 409, 503, 504] as const;
const taskBodyErrors = [...taskErrors, 413, 415] as const;
const sourceErrors = [400, 401, 403, 404, 503, 504] as const;
const sourceBodyErrors = [...sourceErrors, 413, 415] as const;

const envelope = 'envelope' as const;
const tasks = ['film master tasks (seed 000)'];
const sources = ['sources and grants'];
const agents = ['agents'];
/** Form clients send an empty field for "no value"; for optional numbers that means "not given". */
const optionalNumbers = ['percent', 'size'];

export const AgentBindings = [
  bind({
    method: 'POST',
    paths: ['/api/v1/agents/'],
    style: envelope,
    subject: AgentCommandSubjects.agentRegister,
    tags: agents,
    summary: 'Register (or re-register) an agent of the signed-in user',
    body: RegisterAgentBody,
    errors: [400, 401, 409, 413, 415, 503, 504],
  }),
  bind({
    method: 'GET',
    paths: ['/api/v1/agents/'],
    style: envelope,
    subject: AgentCommandSubjects.agentList,
    tags: agents,
    summary: "The signed-in user's agents",
    errors: [401, 503, 504],
  }),
  bind({
    method: 'GET',
    paths: ['/api/v1/agents/:id/'],
    style: envelope,
    subject: AgentCommandSubjects.agentGet,
    tags: agents,
    summary: "Any agent's public keys (to name them in a signed grant)",
    description:
      'Public keys only: any signed-in user may read them, to show and sign their fingerprints. The platform serving them is not trusted: the grant signs fingerprints the granting owner checked.',
    params: GetAgentParams,
    errors: [400, 401, 404, 503, 504],
  }),
] as const satisfies readonly HttpBinding[];

/**
 * The seven seed 000 task routes, paths exactly as the seed writes them (typo `pbulic` included),
 * and our list of the caller's own tasks.
 */
export const MasterTaskBindings = [
  bind({
    method: 'POST',
    paths: ['/api/v1/tasks/upload/pbulic/'],
    style: envelope,
    subject: M.uploadCreate,
    tags: tasks,
    summary: '新建上载任务: create a source and its public block upload task (status 0)',
    description:
      'With `path` (relative to the ingest root of the agent) and `agent` (one of your registered agents), the agent is asked to seal the master.',
    body: CreateUploadTaskBody,
    ignoreUnknownBodyFields: true,
    idempotencyKey: true,
    errors: taskBodyErrors,
  }),
  bind({
    method: 'PATCH',
    paths: ['/api/v1/tasks/upload/pbulic/:id/'],
    style: envelope,
    subject: M.uploadUpdate,
    tags: tasks,
    summary: '提交上载任务状态: report status, percent and the public block of an upload task',
    params: MasterTaskParams,
    body: UpdateUploadTaskBody,
    ignoreUnknownBodyFields: true,
    emptyMeansAbsent: optionalNumbers,
    errors: taskBodyErrors,
  }),
  bind({
    method: 'GET',
    paths: ['/api/v1/tasks/download/'],
    style: envelope,
    subject: M.downloadCreate,
    tags: tasks,
    summary: '新建下载任务: open (or return the open) download task of a source',
    description:
      'Needs a valid grant (or ownership of the source). Returns the unfinished download task of the caller for the source when there is one. `source_id` may also come as a form or JSON body.',
    query: CreateDownloadTaskQuery,
    fieldsInGetBody: true,
    errors: [...taskErrors, 413],
  }),
  bind({
    method: 'PATCH',
    paths: ['/api/v1/tasks/download/:id/'],
    style: envelope,
    subject: M.downloadUpdate,
    tags: tasks,
    summary: '提交下载任务状态: report status and percent of a download task',
    params: MasterTaskParams,
    body: UpdateDownloadTaskBody,
    ignoreUnknownBodyFields: true,
    emptyMeansAbsent: optionalNumbers,
    errors: taskBodyErrors,
  }),
  bind({
    method: 'GET',
    paths: ['/api/v1/tasks/download/:id/'],
    style: envelope,
    subject: M.downloadGet,
    tags: tasks,
    summary: '获取下载任务详情: a download task with its private block fields',
    params: MasterTaskParams,
    errors: taskErrors,
  }),
  bind({
    method: 'GET',
    paths: ['/api/v1/tasks/upload/private/'],
    style: envelope,
    subject: M.privateList,
    tags: tasks,
    summary: '获取私有块上载任务列表: the private block uploads you owe downloaders',
    meta: {
      schema: Type.Object({
        status_choices: Type.Array(Type.Object({ code: Type.Integer(), name: Type.String() })),
      }),
      value: { status_choices: PrivateStatusChoices },
    },
    errors: [401, 503, 504],
  }),
  bind({
    method: 'GET',
    paths: ['/api/v1/tasks/'],
    style: envelope,
    subject: M.mine,
    tags: tasks,
    summary: 'Your upload and download tasks, newest first (ours)',
    description:
      '`{uploads, downloads}`, at most `limit` of each. The private block uploads you owe are listed by `GET /api/v1/tasks/upload/private/`.',
    query: ListMyTasksQuery,
    errors: [400, 401, 503, 504],
  }),
  bind({
    method: 'PATCH',
    paths: ['/api/v1/tasks/upload/private/:id'],
    style: envelope,
    subject: M.privateUpdate,
    tags: tasks,
    summary: '提交私有块上载任务状态: report on a private block upload',
    description:
      "At status 8 with a hash, the download task's `private_status/name/size/hash` fill in.",
    params: MasterTaskParams,
    body: UpdatePrivateTaskBody,
    ignoreUnknownBodyFields: true,
    emptyMeansAbsent: optionalNumbers,
    errors: taskBodyErrors,
  }),
] as const satisfies readonly HttpBinding[];

/** A source's public block (named in seed 000) and who may download it (grants, ours). */
export const SourceBindings = [
  bind({
    method: 'GET',
    paths: ['/api/v1/sources/:source_id/'],
    style: envelope,
    subject: M.sourceGet,
    tags: sources,
    summary: '获取影视媒体IPFS下载Hash值: a source and its public block',
    description: 'Visible to its owner, root and users holding a valid grant; else 404.',
    params: MasterSourceParams,
    errors: sourceErrors,
  }),
  bind({
    method: 'DELETE',
    paths: ['/api/v1/sources/:source_id/'],
    style: envelope,
    subject: M.sourceDelete,
    tags: sources,
    summary:
      'Delete a source (owner or root): no new downloads, and the platform unpins its blocks',
    description:
      "Revokes every grant, ends the upload, download and private tasks still running at 9 (reason `source <id> was deleted`), and unpins the public block and every released private block from the platform's IPFS node. The reply is the source as deletion left it; afterwards the source is 404 to everyone, its tasks stay readable, and none of them can be retried. Copies on agents' own nodes and files already downloaded are not the platform's to remove.",
    params: MasterSourceParams,
    errors: sourceErrors,
  }),
  bind({
    method: 'POST',
    paths: ['/api/v1/sources/:source_id/grants/'],
    style: envelope,
    subject: M.grantCreate,
    tags: sources,
    summary: 'Authorise a user to download the source (owner or root)',
    description:
      'Optional `not_before`/`not_after` (ISO 8601; without a zone, UTC). Granting again replaces the window and lifts a revocation. With `signed_grant` (made by `vault grant --agent`), the owner-signed statement naming the recipient agent: it must verify under the owner key the sealing agent registered and match the request, else 400. Only a signed grant lets the sealing agent release the key.',
    params: MasterSourceParams,
    body: CreateGrantBody,
    errors: sourceBodyErrors,
  }),
  bind({
    method: 'GET',
    paths: ['/api/v1/sources/:source_id/grants/'],
    style: envelope,
    subject: M.grantList,
    tags: sources,
    summary: 'Grants of the source (owner or root)',
    params: MasterSourceParams,
    errors: sourceErrors,
  }),
  bind({
    method: 'DELETE',
    paths: ['/api/v1/sources/:source_id/grants/:user_id/'],
    style: envelope,
    subject: M.grantRevoke,
    tags: sources,
    summary: "Revoke a user's grant (owner or root); no key is released for it afterwards",
    description:
      'Optional body `signed_revocation`: the owner-signed withdrawal of the grant statement (`vault revoke`). Signed or not, the sealing agent asks for the grant immediately before it releases and refuses a revoked one.',
    params: GrantParams,
    body: RevokeGrantBody,
    bodyOptional: true,
    errors: sourceBodyErrors,
  }),
] as const satisfies readonly HttpBinding[];
