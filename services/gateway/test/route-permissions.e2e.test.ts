import { Roles } from '@media-vault/contracts';
import { agentPublicKeys, generateAgentIdentity, signAuditBody } from '@media-vault/sealed';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioStack, makeMp3, sha256, type MediaFile, type Reply } from './audio-helpers.js';
import { startMasterStack, type MasterStack } from './helpers.js';

/*
 * Every HTTP route of the gateway × who calls it: no token, a forged or expired token, and a
 * plain user, 100 (assets), 120 (reviewer) and 1 (root), each once as the owner of the object
 * the route names and once as another user. The gateway and the services run for real; the
 * expected statuses are written out from SPEC §4 (401 no or bad token, 403 wrong role, 404
 * another user's object), §5 and §6 and the README's "Who" rules, route by route.
 */

const run = Date.now().toString(36);
const ownerId = `owner-${run}`;
const otherId = `other-${run}`;
/** A third user where a route's object needs two people (the studio of a licensee's download). */
const thirdId = `third-${run}`;

type Role = 'plain' | 'assets' | 'reviewer' | 'root';
const ROLE_NUMBERS: Record<Role, number[]> = {
  plain: [],
  assets: [Roles.assets],
  reviewer: [Roles.reviewerAssets],
  root: [Roles.root],
};
const ROLE_NAMES = Object.keys(ROLE_NUMBERS) as Role[];

type Status = 200 | 401 | 403 | 404 | 409;
type Who = (role: Role, owner: boolean) => Status;

// --- SPEC's rules, as statuses ------------------------------------------------------------------

/** Any signed-in user (seed 000 "anyone signed in", seed 002 "session"). */
const signedIn: Who = () => 200;
/** Reports on a task: its owner only; root reads but reports on no one's tasks (README "Who"). */
const taskReporter: Who = (role, owner) => (owner ? 200 : role === 'root' ? 403 : 404);
/** Download task detail: the downloader, and root may read. */
const taskReader: Who = (role, owner) => (owner || role === 'root' ? 200 : 404);
/** Opening a download: the owner needs no grant; root without one is told 403; others 404. */
const downloadOpener: Who = (role, owner) => (owner ? 200 : role === 'root' ? 403 : 404);
/**
 * Appending to a source's audit log: the owner's agent (a grantee's too, but the other user here
 * holds no grant); root may know the source exists and is told no; others 404.
 */
const auditAppender: Who = (role, owner) => (owner ? 200 : role === 'root' ? 403 : 404);
/** Sources and grants: the owner or root (no grant is held by the other user here). */
const ownerOrRoot: Who = (role, owner) => (owner || role === 'root' ? 200 : 404);
/** An agent id is its registrant's: another user re-registering it is a conflict. */
const agentHolder: Who = (_role, owner) => (owner ? 200 : 409);
/** §6 "root, assets" on an asset: wrong role 403; another contributor's asset 404; root any. */
const uploader: Who = (role, owner) =>
  role === 'plain' || role === 'reviewer' ? 403 : owner || role === 'root' ? 200 : 404;
const uploaderNoObject: Who = (role) => (role === 'plain' || role === 'reviewer' ? 403 : 200);
/** §6 "session, own only" lists by uid: another user's list is refused (README: 403). */
const ownList: Who = (_role, owner) => (owner ? 200 : 403);
/** §6 "session, own only" deletes: another user's asset is not found, for root too. */
const ownDelete: Who = (_role, owner) => (owner ? 200 : 404);
/** §6 "root, reviewer". */
const reviewers: Who = (role) => (role === 'reviewer' || role === 'root' ? 200 : 403);

// --- the rows -----------------------------------------------------------------------------------

interface Caller {
  readonly id: string;
  readonly owner: boolean;
}

interface HttpResult {
  readonly status: number;
  readonly body: unknown;
}

interface Stacks {
  readonly master: MasterStack;
  readonly audio: AudioStack;
}

interface RouteRow {
  /** Method and path as the OpenAPI document writes it. */
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  /** What differs between two rows of one route. */
  readonly variant?: string;
  readonly style: 'envelope' | 'grpc' | 'public';
  readonly who: Who;
  /** Sets up the object the route names; `fresh` when the call is expected to change it. */
  readonly prepare: (s: Stacks, fresh: boolean) => Promise<Record<string, string>>;
  readonly send: (
    s: Stacks,
    token: string | undefined,
    fx: Record<string, string>,
  ) => Promise<HttpResult>;
  /** For a 200: what the body must show the caller (e.g. only its own rows). */
  readonly check?: (body: unknown, caller: Caller, fx: Record<string, string>) => void;
  /**
   * What a public route may answer anyone instead of 200: /readyz says 503 on a stack that does
   * not run every service it routes to (this one runs tasks only), token or not.
   */
  readonly notReady?: true;
}

const ok = <T>(res: HttpResult, what: string): T => {
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
};

// Seed 000 objects, made through the API by their owners.
const tokenOf = (s: Stacks, id: string, roles: number[] = []) => s.master.token(id, roles);
const dataOf = <T>(res: HttpResult, what: string) => ok<{ data: T }>(res, what).data;

async function uploadTask(s: Stacks, owner: string) {
  return dataOf<{ id: number; source_id: number }>(
    await s.master.call('POST', '/api/v1/tasks/upload/pbulic/', {
      token: await tokenOf(s, owner),
      fields: { series_id: 233, uuid: `uuid-${run}`, source_name: '仙剑奇侠传' },
    }),
    'create upload task',
  );
}

/** A source whose public block is uploaded (status 8), so it can be downloaded. */
async function readySource(s: Stacks, owner: string) {
  const task = await uploadTask(s, owner);
  ok(
    await s.master.call('PATCH', `/api/v1/tasks/upload/pbulic/${task.id}/`, {
      token: await tokenOf(s, owner),
      fields: { status: 8, hash: 'QmPublicBlock', name: 'ep.pub', size: 1024 },
    }),
    'upload done',
  );
  return task;
}

async function grant(s: Stacks, owner: string, sourceId: number, userId: string) {
  ok(
    await s.master.call('POST', `/api/v1/sources/${sourceId}/grants/`, {
      token: await tokenOf(s, owner),
      fields: { user_id: userId },
    }),
    'grant',
  );
}

/** A download of `studio`'s source opened by `downloader`, and the private task it gave the studio. */
async function openDownload(s: Stacks, studio: string, downloader: string) {
  const { source_id } = await readySource(s, studio);
  await grant(s, studio, source_id, downloader);
  const download = dataOf<{ id: number }>(
    await s.master.call('GET', `/api/v1/tasks/download/?source_id=${source_id}`, {
      token: await tokenOf(s, downloader),
    }),
    'open download',
  );
  const owed = dataOf<{ id: number; source_id: number }[]>(
    await s.master.call('GET', '/api/v1/tasks/upload/private/', {
      token: await tokenOf(s, studio),
    }),
    'private list',
  );
  const privateTask = owed.find((t) => t.source_id === source_id)!;
  return {
    sourceId: String(source_id),
    downloadId: String(download.id),
    privateId: String(privateTask.id),
  };
}

const agentFields = (id: string) => ({
  id,
  peer_id: '12D3KooWmatrix',
  public_key: randomBytes(32).toString('base64'),
  signing_key: randomBytes(32).toString('base64'),
});

/** A new agent registered by the owner; its id is the fixture's `agent`. */
const ownersNewAgent = async (s: Stacks): Promise<Record<string, string>> => {
  const agent = newAgentId();
  ok(
    await s.master.call('POST', '/api/v1/agents/', {
      token: await tokenOf(s, ownerId),
      fields: agentFields(agent),
    }),
    'register agent',
  );
  return { agent };
};

let agents = 0;
const newAgentId = () => `matrix-${run}-${++agents}`;

/** One agent for each of the two users, with keys the test signs audit entries with. */
const auditAgents = {
  [ownerId]: generateAgentIdentity(`matrix-audit-owner-${run}`),
  [otherId]: generateAgentIdentity(`matrix-audit-other-${run}`),
};
/** Whose token it is: the `sub` claim (the owner's for a missing or garbage token). */
const subjectOf = (token: string | undefined): string => {
  try {
    const claims = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString('utf8'));
    return auditAgents[(claims as { sub: string }).sub] ? (claims as { sub: string }).sub : ownerId;
  } catch {
    return ownerId;
  }
};
let auditEntries = 0;

const master = (
  row: Omit<RouteRow, 'style' | 'send'> & {
    readonly request: (fx: Record<string, string>) => {
      path: string;
      fields?: Record<string, string | number>;
    };
  },
): RouteRow => ({
  ...row,
  style: 'envelope',
  send: (s, token, fx) => {
    const { path, fields } = row.request(fx);
    return s.master.call(row.method, path, { token, ...(fields ? { fields } : {}) });
  },
});

const SEED_000: RouteRow[] = [
  master({
    method: 'POST',
    path: '/api/v1/tasks/upload/pbulic/',
    who: signedIn,
    prepare: async () => ({}),
    request: () => ({
      path: '/api/v1/tasks/upload/pbulic/',
      fields: { series_id: 233, uuid: '283509238', source_name: 'ep21' },
    }),
  }),
  master({
    method: 'PATCH',
    path: '/api/v1/tasks/upload/pbulic/{id}/',
    who: taskReporter,
    prepare: async (s) => ({ id: String((await uploadTask(s, ownerId)).id) }),
    request: (fx) => ({
      path: `/api/v1/tasks/upload/pbulic/${fx.id}/`,
      fields: { status: 1, percent: 10 },
    }),
  }),
  master({
    method: 'GET',
    path: '/api/v1/tasks/download/',
    who: downloadOpener,
    prepare: async (s) => ({ sourceId: String((await readySource(s, ownerId)).source_id) }),
    request: (fx) => ({ path: `/api/v1/tasks/download/?source_id=${fx.sourceId}` }),
  }),
  master({
    method: 'PATCH',
    path: '/api/v1/tasks/download/{id}/',
    // The download task is the downloader's: the owner here is the licensee.
    who: taskReporter,
    prepare: (s) => openDownload(s, thirdId, ownerId),
    request: (fx) => ({
      path: `/api/v1/tasks/download/${fx.downloadId}/`,
      fields: { status: 4, percent: 10 },
    }),
  }),
  master({
    method: 'GET',
    path: '/api/v1/tasks/download/{id}/',
    who: taskReader,
    prepare: (s) => openDownload(s, thirdId, ownerId),
    request: (fx) => ({ path: `/api/v1/tasks/download/${fx.downloadId}/` }),
  }),
  master({
    method: 'GET',
    path: '/api/v1/tasks/upload/private/',
    who: signedIn,
    prepare: (s) => openDownload(s, ownerId, thirdId),
    request: () => ({ path: '/api/v1/tasks/upload/private/' }),
    check: (body, caller, fx) => {
      const ids = (body as { data: { id: number }[] }).data.map((t) => String(t.id));
      // Always the caller's own list: root sees no one else's either.
      if (caller.owner) expect(ids).toContain(fx.privateId);
      else expect(ids).not.toContain(fx.privateId);
    },
  }),
  master({
    method: 'GET',
    path: '/api/v1/tasks/',
    who: signedIn,
    // The caller is the downloader here; the studio is someone else.
    prepare: (s) => openDownload(s, thirdId, ownerId),
    request: () => ({ path: '/api/v1/tasks/' }),
    check: (body, caller, fx) => {
      const { downloads } = (body as { data: { downloads: { id: number }[] } }).data;
      const ids = downloads.map((t) => String(t.id));
      // Always the caller's own tasks: root sees no one else's either.
      if (caller.owner) expect(ids).toContain(fx.downloadId);
      else expect(ids).not.toContain(fx.downloadId);
    },
  }),
  master({
    method: 'PATCH',
    path: '/api/v1/tasks/upload/private/{id}',
    // The private block is owed by the source's owner, not the downloader.
    who: taskReporter,
    prepare: (s) => openDownload(s, ownerId, thirdId),
    request: (fx) => ({
      path: `/api/v1/tasks/upload/private/${fx.privateId}`,
      fields: { status: 3, percent: 10 },
    }),
  }),
  master({
    method: 'GET',
    path: '/api/v1/users/me/',
    who: signedIn,
    prepare: async () => ({}),
    request: () => ({ path: '/api/v1/users/me/' }),
    check: (body, caller) => expect(body).toMatchObject({ data: { id: caller.id } }),
  }),
  master({
    method: 'GET',
    path: '/api/v1/sources/{source_id}/',
    who: ownerOrRoot,
    prepare: async (s) => ({ sourceId: String((await readySource(s, ownerId)).source_id) }),
    request: (fx) => ({ path: `/api/v1/sources/${fx.sourceId}/` }),
  }),
  master({
    method: 'DELETE',
    path: '/api/v1/sources/{source_id}/',
    who: ownerOrRoot,
    prepare: async (s) => ({ sourceId: String((await readySource(s, ownerId)).source_id) }),
    request: (fx) => ({ path: `/api/v1/sources/${fx.sourceId}/` }),
  }),
  master({
    method: 'POST',
    path: '/api/v1/sources/{source_id}/grants/',
    who: ownerOrRoot,
    prepare: async (s) => ({ sourceId: String((await uploadTask(s, ownerId)).source_id) }),
    request: (fx) => ({
      path: `/api/v1/sources/${fx.sourceId}/grants/`,
      fields: { user_id: thirdId, not_after: '2099-01-01T00:00:00Z' },
    }),
  }),
  master({
    method: 'GET',
    path: '/api/v1/sources/{source_id}/grants/',
    who: ownerOrRoot,
    prepare: async (s) => ({ sourceId: String((await uploadTask(s, ownerId)).source_id) }),
    request: (fx) => ({ path: `/api/v1/sources/${fx.sourceId}/grants/` }),
  }),
  master({
    method: 'DELETE',
    path: '/api/v1/sources/{source_id}/grants/{user_id}/',
    who: ownerOrRoot,
    prepare: async (s) => {
      const { source_id } = await uploadTask(s, ownerId);
      await grant(s, ownerId, source_id, thirdId);
      return { sourceId: String(source_id) };
    },
    request: (fx) => ({ path: `/api/v1/sources/${fx.sourceId}/grants/${thirdId}/` }),
  }),
  master({
    method: 'GET',
    path: '/api/v1/sources/{source_id}/audit/',
    who: ownerOrRoot,
    prepare: async (s) => {
      const { source_id } = await uploadTask(s, ownerId);
      await grant(s, ownerId, source_id, thirdId);
      return { sourceId: String(source_id) };
    },
    request: (fx) => ({ path: `/api/v1/sources/${fx.sourceId}/audit/` }),
    check: (body) =>
      expect((body as { data: { seq: number; kind: string }[] }).data).toEqual([
        expect.objectContaining({ seq: 1, kind: 'grant' }),
      ]),
  }),
  {
    method: 'POST',
    path: '/api/v1/sources/{source_id}/audit/',
    style: 'envelope',
    who: auditAppender,
    prepare: async (s) => {
      for (const [user, agent] of Object.entries(auditAgents)) {
        ok(
          await s.master.call('POST', '/api/v1/agents/', {
            token: await tokenOf(s, user),
            fields: { id: agent.id, peer_id: '12D3KooWmatrix', ...agentPublicKeys(agent) },
          }),
          'register agent',
        );
      }
      const { source_id } = await uploadTask(s, ownerId);
      return { sourceId: String(source_id) };
    },
    // An entry signed by the caller's own agent: what decides is whose source it is.
    send: (s, token, fx) => {
      const user = subjectOf(token);
      const agent = auditAgents[user]!;
      const body = {
        entry_id: `matrix-${run}-${++auditEntries}:fetch`,
        source_id: Number(fx.sourceId),
        source_uuid: `uuid-${run}`,
        kind: 'fetch',
        at: new Date().toISOString(),
        actor: { user_id: user, agent: agent.id },
        data: { download_task_id: 1 },
      };
      const { source_id: _sourceId, ...fields } = {
        ...body,
        signature: signAuditBody(body, agent),
      };
      return s.master.call('POST', `/api/v1/sources/${fx.sourceId}/audit/`, {
        token,
        // JSON carries the nested members as they were signed.
        fields: fields as unknown as Record<string, string>,
      });
    },
    check: (body, caller) =>
      expect(body).toMatchObject({
        data: { kind: 'fetch', actor: { user_id: caller.id }, signature: expect.any(Object) },
      }),
  },
  master({
    method: 'POST',
    path: '/api/v1/agents/',
    variant: 'a new id',
    who: signedIn,
    prepare: async () => ({ agent: newAgentId() }),
    request: (fx) => ({ path: '/api/v1/agents/', fields: agentFields(fx.agent!) }),
  }),
  master({
    method: 'POST',
    path: '/api/v1/agents/',
    variant: "the owner's agent id",
    who: agentHolder,
    prepare: ownersNewAgent,
    request: (fx) => ({ path: '/api/v1/agents/', fields: agentFields(fx.agent!) }),
  }),
  master({
    method: 'GET',
    path: '/api/v1/agents/',
    who: signedIn,
    prepare: ownersNewAgent,
    request: () => ({ path: '/api/v1/agents/' }),
    check: (body, caller, fx) => {
      const ids = (body as { data: { id: string }[] }).data.map((a) => a.id);
      if (caller.owner) expect(ids).toContain(fx.agent);
      else expect(ids).not.toContain(fx.agent);
    },
  }),
  master({
    method: 'GET',
    path: '/api/v1/agents/{id}/',
    who: signedIn,
    prepare: ownersNewAgent,
    request: (fx) => ({ path: `/api/v1/agents/${fx.agent}/` }),
    // Public keys are for anyone to name in a grant; the record carries no secret.
    check: (body, _caller, fx) => {
      expect((body as { data: { id: string; user_id: string } }).data).toMatchObject({
        id: fx.agent,
        user_id: ownerId,
      });
    },
  }),
];

// Seed 002 objects. The owner ingests one mp3 at the start; an asset in SUBMIT or later is a copy
// of it made by the same owner (instant upload of bytes the owner already sent).
let seedFile: MediaFile;
const CHUNK_BYTES = 1000;
const chunkData = randomBytes(CHUNK_BYTES);

type AudioFixture =
  'none' | 'draft' | 'uploaded' | 'merged' | 'submit' | 'post' | 'reject' | 'disable';

async function audioAsset(s: Stacks, fixture: AudioFixture): Promise<string> {
  const a = s.audio;
  const owner = await a.token(ownerId, [Roles.assets]);
  const reviewer = await a.token(thirdId, [Roles.reviewerAssets]);
  const okReply = <T>(res: Reply<T>, what: string): T => ok<T>(res, what);
  switch (fixture) {
    case 'none':
      return '0';
    case 'draft':
      return okReply(
        await a.create(owner, {
          name: 'draft.mp3',
          size: CHUNK_BYTES,
          hash: sha256(randomBytes(16)),
        }),
        'create draft',
      ).id;
    case 'uploaded': {
      const bytes = randomBytes(CHUNK_BYTES);
      const plan = okReply(
        await a.create(owner, { name: 'up.mp3', size: bytes.length, hash: sha256(bytes) }),
        'create',
      );
      await a.upload(owner, plan.id, bytes);
      return plan.id;
    }
    case 'merged':
      return (
        await a.ingest(owner, 'merged.mp3', await makeMp3(a.dir, { seconds: 2 }), { submit: false })
      ).id;
    default: {
      const copy = okReply(
        await a.create(owner, {
          name: 'copy.mp3',
          size: seedFile.bytes.length,
          hash: seedFile.hash,
        }),
        'create copy',
      );
      expect(copy.exists).toBe(true);
      if (fixture === 'reject') okReply(await a.reject(reviewer, copy.id, 'no'), 'reject');
      if (fixture === 'post' || fixture === 'disable') {
        okReply(await a.review(reviewer, 'resolve', copy.id), 'resolve');
      }
      if (fixture === 'disable') okReply(await a.review(reviewer, 'disable', copy.id), 'disable');
      return copy.id;
    }
  }
}

/** Fixtures a refused or read-only call cannot change are made once per kind. */
const sharedAssets = new Map<AudioFixture, Promise<string>>();

const audio = (row: {
  method: RouteRow['method'];
  path: string;
  who: Who;
  fixture: AudioFixture;
  /** A 200 changes the asset: every allowed caller gets an asset of its own. */
  mutates: boolean;
  request: (id: string) => { path: string; json?: unknown; raw?: Buffer };
  check?: RouteRow['check'];
}): RouteRow => ({
  method: row.method,
  path: row.path,
  style: 'grpc',
  who: row.who,
  ...(row.check ? { check: row.check } : {}),
  prepare: async (s, fresh) => {
    if (row.mutates && fresh) return { id: await audioAsset(s, row.fixture) };
    let id = sharedAssets.get(row.fixture);
    if (!id) {
      id = audioAsset(s, row.fixture);
      sharedAssets.set(row.fixture, id);
    }
    return { id: await id };
  },
  send: (s, token, fx) => {
    const { path, json, raw } = row.request(fx.id!);
    return s.audio.http(row.method, path, {
      token,
      ...(json === undefined ? {} : { json }),
      ...(raw === undefined ? {} : { raw }),
    });
  },
});

const SEED_002: RouteRow[] = [
  audio({
    method: 'POST',
    path: '/api/v1/assets/audio',
    who: uploaderNoObject,
    fixture: 'none',
    mutates: true,
    request: () => ({
      path: '/api/v1/assets/audio',
      json: { name: 'new.mp3', size: '10', hash: sha256(randomBytes(16)) },
    }),
  }),
  audio({
    method: 'GET',
    path: '/api/v1/assets/audio/chunks',
    who: uploader,
    fixture: 'draft',
    mutates: false,
    request: (id) => ({ path: `/api/v1/assets/audio/chunks?id=${id}` }),
  }),
  audio({
    method: 'POST',
    path: '/api/v1/assets/audio/chunk',
    who: uploader,
    fixture: 'draft',
    mutates: true,
    request: (id) => ({
      path: '/api/v1/assets/audio/chunk',
      json: { id, index: 0, data: chunkData.toString('base64') },
    }),
  }),
  audio({
    method: 'POST',
    path: '/api/v1/assets/audio/chunk_file/{id}',
    who: uploader,
    fixture: 'draft',
    mutates: true,
    request: (id) => ({ path: `/api/v1/assets/audio/chunk_file/${id}?index=0`, raw: chunkData }),
  }),
  audio({
    method: 'POST',
    path: '/api/v1/assets/audio/merge',
    who: uploader,
    fixture: 'uploaded',
    mutates: true,
    request: (id) => ({ path: '/api/v1/assets/audio/merge', json: { id } }),
  }),
  audio({
    method: 'POST',
    path: '/api/v1/assets/audio/submit/{id}',
    who: uploader,
    fixture: 'merged',
    mutates: true,
    request: (id) => ({ path: `/api/v1/assets/audio/submit/${id}` }),
  }),
  audio({
    method: 'GET',
    path: '/api/v1/assets/audio/drafts/{uid}',
    who: ownList,
    fixture: 'none',
    mutates: false,
    request: () => ({ path: `/api/v1/assets/audio/drafts/${ownerId}` }),
  }),
  audio({
    method: 'DELETE',
    path: '/api/v1/assets/audio/drafts/{id}',
    who: ownDelete,
    fixture: 'draft',
    mutates: true,
    request: (id) => ({ path: `/api/v1/assets/audio/drafts/${id}` }),
  }),
  audio({
    method: 'GET',
    path: '/api/v1/assets/audio/rejects/{uid}',
    who: ownList,
    fixture: 'none',
    mutates: false,
    request: () => ({ path: `/api/v1/assets/audio/rejects/${ownerId}` }),
  }),
  audio({
    method: 'DELETE',
    path: '/api/v1/assets/audio/reject/{id}',
    who: ownDelete,
    fixture: 'reject',
    mutates: true,
    request: (id) => ({ path: `/api/v1/assets/audio/reject/${id}` }),
  }),
  audio({
    method: 'GET',
    path: '/api/v1/assets/audio',
    who: signedIn,
    fixture: 'none',
    mutates: false,
    request: () => ({ path: '/api/v1/assets/audio' }),
  }),
  audio({
    method: 'GET',
    path: '/api/v1/assets/audio/by_id',
    who: signedIn,
    fixture: 'post',
    mutates: false,
    request: (id) => ({ path: `/api/v1/assets/audio/by_id?id=${id}` }),
  }),
  audio({
    method: 'GET',
    path: '/api/v1/assets/audio/download/{id}',
    who: signedIn,
    fixture: 'post',
    mutates: false,
    request: (id) => ({ path: `/api/v1/assets/audio/download/${id}?file=2` }),
  }),
  audio({
    method: 'HEAD',
    path: '/api/v1/assets/audio/download/{id}',
    who: signedIn,
    fixture: 'post',
    mutates: false,
    request: (id) => ({ path: `/api/v1/assets/audio/download/${id}` }),
  }),
  ...(['resolve', 'disable', 'recover'] as const).map((action) =>
    audio({
      method: 'POST',
      path: `/api/v1/assets/audio/${action}/{id}`,
      who: reviewers,
      fixture: action === 'resolve' ? 'submit' : action === 'disable' ? 'post' : 'disable',
      mutates: true,
      request: (id) => ({ path: `/api/v1/assets/audio/${action}/${id}` }),
    }),
  ),
  audio({
    method: 'POST',
    path: '/api/v1/assets/audio/reject/{id}',
    who: reviewers,
    fixture: 'submit',
    mutates: true,
    request: (id) => ({
      path: `/api/v1/assets/audio/reject/${id}`,
      json: { reason: 'not for us' },
    }),
  }),
  audio({
    method: 'DELETE',
    path: '/api/v1/assets/audio/{id}',
    who: reviewers,
    fixture: 'post',
    mutates: true,
    request: (id) => ({ path: `/api/v1/assets/audio/${id}` }),
  }),
];

/** The console's session and event stream: any signed-in user, as themselves. */
const consoleCall = async (
  s: Stacks,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; json?: unknown },
): Promise<HttpResult> => {
  const res = await fetch(`${s.master.url}${path}`, {
    method,
    headers: {
      ...init.headers,
      ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  // The event stream never ends: its status and headers are the answer.
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, body: undefined };
  }
  return { status: res.status, body: await res.json() };
};
const consoleRow = (
  method: RouteRow['method'],
  path: string,
  send: (s: Stacks, token: string | undefined) => Promise<HttpResult>,
): RouteRow => ({
  method,
  path,
  style: 'envelope',
  who: signedIn,
  prepare: async () => ({}),
  send: (s, token) => send(s, token),
});
const CONSOLE: RouteRow[] = [
  // The token travels in the body; without one the page sends nothing a verifier accepts.
  consoleRow('POST', '/api/v1/console/session', (s, token) =>
    consoleCall(s, 'POST', '/api/v1/console/session', { json: { token: token ?? 'no-token' } }),
  ),
  consoleRow('GET', '/api/v1/console/session', (s, token) =>
    consoleCall(s, 'GET', '/api/v1/console/session', {
      headers: token ? { cookie: `mv_session=${token}` } : {},
    }),
  ),
  consoleRow('DELETE', '/api/v1/console/session', (s, token) =>
    consoleCall(s, 'DELETE', '/api/v1/console/session', { headers: token ? { token } : {} }),
  ),
  consoleRow('GET', '/api/v1/events/', (s, token) =>
    consoleCall(s, 'GET', '/api/v1/events/', { headers: token ? { token } : {} }),
  ),
];

/** Operational routes answer everyone, with or without a token. */
const PUBLIC: RouteRow[] = ['/healthz', '/readyz', '/metrics', '/docs/json'].map((path) => ({
  method: 'GET',
  path,
  style: 'public',
  who: signedIn,
  prepare: async () => ({}),
  send: (s, token) => s.master.call('GET', path, { token }),
  ...(path === '/readyz' ? { notReady: true as const } : {}),
}));

/** A public route's answer: 200, or for /readyz the 503 that names the service not running. */
function expectPublic(route: RouteRow, res: HttpResult): void {
  if (route.notReady && res.status === 503) {
    expect(res.body).toEqual({
      status: 'not ready',
      failures: [expect.stringMatching(/^services: no assets service answers yet/)],
    });
    return;
  }
  expect(res.status).toBe(200);
}

const ROUTES = [...SEED_000, ...SEED_002, ...CONSOLE, ...PUBLIC];
const label = (r: RouteRow) => `${r.method} ${r.path}${r.variant ? ` (${r.variant})` : ''}`;

const CASES = ROUTES.flatMap((route) =>
  ROLE_NAMES.flatMap((role) =>
    [true, false].map((owner) => ({
      route,
      name: label(route),
      role,
      owner,
      status: route.who(role, owner),
    })),
  ),
);

/** The error body of each response style, for a refusal. */
const expectRefusal = (route: RouteRow, res: HttpResult, status: number) => {
  const context = `${res.status} ${JSON.stringify(res.body)}`;
  expect(res.status, context).toBe(status);
  if (route.method === 'HEAD') return;
  if (route.style === 'grpc') {
    const grpc = { 401: 16, 403: 7, 404: 5, 409: 10 }[status];
    expect(res.body, context).toEqual({ code: grpc, message: expect.any(String), details: [] });
  } else {
    expect(res.body, context).toEqual({ data: null, message: expect.any(String) });
  }
};

describe('every HTTP route × role × owner', () => {
  const stacks = {} as { master: MasterStack; audio: AudioStack };

  beforeAll(async () => {
    stacks.master = await startMasterStack({ label: 'route_matrix' });
    stacks.audio = await AudioStack.start();
    seedFile = await makeMp3(stacks.audio.dir, { seconds: 3 });
    await stacks.audio.ingest(
      await stacks.audio.token(ownerId, [Roles.assets]),
      'seed.mp3',
      seedFile,
    );
  }, 300_000);
  afterAll(async () => {
    await stacks.master?.stop();
    await stacks.audio?.stop();
  });

  it('has a row for every route in the OpenAPI document', async () => {
    const doc = (await stacks.master.call('GET', '/docs/json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const rows = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    expect(documented.filter((route) => !rows.has(route))).toEqual([]);
    // The rows beyond the document are the routes it hides, and nothing else.
    expect([...rows].filter((route) => !documented.includes(route)).sort()).toEqual([
      'GET /docs/json',
      'GET /healthz',
      'GET /metrics',
      'GET /readyz',
      'HEAD /api/v1/assets/audio/download/{id}',
    ]);
  });

  it.each(ROUTES.map((route) => ({ name: label(route), route })))(
    '$name without a token, or with a garbage or forged one → 401',
    async ({ route }) => {
      const fx = await route.prepare(stacks, false);
      // Signed with another secret: claims root, proves nothing.
      const forged = await new SignJWT({ name: 'forged', roles: [Roles.root] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(ownerId)
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode('not the gateway secret at all'));
      for (const token of [undefined, 'garbage', forged]) {
        const res = await route.send(stacks, token, fx);
        if (route.style === 'public') expectPublic(route, res);
        else expectRefusal(route, res, 401);
      }
    },
  );

  it.each(CASES)(
    '$name as $role, owner: $owner → $status',
    async ({ route, role, owner, status }) => {
      const fx = await route.prepare(stacks, status === 200);
      const id = owner ? ownerId : otherId;
      const token =
        route.style === 'grpc'
          ? await stacks.audio.token(id, ROLE_NUMBERS[role])
          : await stacks.master.token(id, ROLE_NUMBERS[role]);
      const res = await route.send(stacks, token, fx);
      if (status !== 200) return expectRefusal(route, res, status);
      if (route.style === 'public') return expectPublic(route, res);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      route.check?.(res.body, { id, owner }, fx);
    },
  );
});
