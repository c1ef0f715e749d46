import {
  CommandSubjects as S,
  Roles,
  VaultError,
  type CommandRequest,
  type CommandResponse,
  type CommandSubject,
  type ErrorKind,
  type Principal,
} from '@media-vault/contracts';
import {
  agentPublicKeys,
  generateAgentIdentity,
  signAuditBody,
  type AgentIdentity,
} from '@media-vault/sealed';
import { sendCommand } from '@media-vault/service-kit';
import {
  connectAs,
  createDatabase,
  natsEnv,
  principalVerifyEnv,
  startNats,
  testSigner,
  uniqueName,
  type StartedNats,
} from '@media-vault/test-harness';
import type { NatsConnection } from '@nats-io/transport-node';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadTasksConfig } from '../src/config.js';
import { schema } from '../src/db/index.js';
import { assertCallerRoles } from '../src/permissions.js';
import { startTasksService, type TasksService } from '../src/tasks-service.js';
import { registration } from './helpers.js';

/*
 * Every svc.tasks.* command sent straight on NATS, as whoever the caller claims to be, to a running
 * tasks service: the service itself must refuse what SPEC §4/§5 does not allow, whatever the
 * gateway would have filtered. The expected outcomes are written out here from the spec (and the
 * README's "Who" rules), not read from the service's own permission table.
 */

const servers = inject('servers');
const run = `${process.pid}-${Date.now().toString(36)}`;

/** The callers every command is tried with. */
const CALLERS = [
  'owner',
  'grantee',
  'revokedGrantee',
  'stranger',
  'contributor',
  'reviewer',
  'root',
] as const;
type Caller = (typeof CALLERS)[number];

const principals: Record<Caller, Principal> = {
  owner: { id: `owner-${run}`, name: 'Studio', roles: [] },
  grantee: { id: `grantee-${run}`, name: 'Licensee', roles: [] },
  revokedGrantee: { id: `revoked-${run}`, name: 'Former licensee', roles: [] },
  stranger: { id: `stranger-${run}`, name: 'Stranger', roles: [] },
  contributor: { id: `contributor-${run}`, name: 'Contributor', roles: [Roles.assets] },
  reviewer: { id: `reviewer-${run}`, name: 'Reviewer', roles: [Roles.reviewerAssets] },
  root: { id: `root-${run}`, name: 'Root', roles: [Roles.root] },
};

/**
 * One agent per caller, with keys the test signs with, registered once: an audit entry must be
 * signed by the caller's own agent with its registered key.
 */
const callerAgents = Object.fromEntries(
  CALLERS.map((c) => [c, generateAgentIdentity(`audit-${c}-${run}`.slice(0, 64))]),
) as Record<Caller, AgentIdentity>;

/** `ok`: answered; else the error kind the refusal must carry. */
type Outcome = 'ok' | ErrorKind;

/**
 * A source whose public block is uploaded (status 8), a valid grant for `grantee`, a revoked one
 * for `revokedGrantee`, an open download of the grantee's (with its agent) and the private upload
 * task it gave the owner. Every case gets a fresh one, so an allowed change never leaks into
 * another case.
 */
interface Fixture {
  readonly sourceId: number;
  readonly uploadId: number;
  readonly downloadId: number;
  readonly privateId: number;
  readonly ownerAgent: string;
  readonly granteeAgent: string;
  /** A new upload task of the owner's, still at status 0. */
  readonly freshUploadId: number;
}

interface Row<C extends CommandSubject = CommandSubject> {
  readonly name: string;
  readonly command: C;
  readonly request: (fx: Fixture, caller: Caller) => CommandRequest<C>;
  readonly expected: Record<Caller, Outcome>;
  /** For an allowed call: what the reply must show (e.g. only the caller's own rows). */
  readonly check?: (reply: CommandResponse<C>, fx: Fixture, caller: Caller) => void;
}

const row = <C extends CommandSubject>(r: Row<C>): Row => r as unknown as Row;

/** Another user's object is not found; root is told it may not (it may read, never report). */
const reporter = (who: Caller): Record<Caller, Outcome> => ({
  owner: 'notFound',
  grantee: 'notFound',
  revokedGrantee: 'notFound',
  stranger: 'notFound',
  contributor: 'notFound',
  reviewer: 'notFound',
  root: 'forbidden',
  [who]: 'ok',
});

/** Grants: the source's owner or root; a holder of a valid grant is told no; others 404. */
const grantManagers: Record<Caller, Outcome> = {
  owner: 'ok',
  grantee: 'forbidden',
  revokedGrantee: 'notFound',
  stranger: 'notFound',
  contributor: 'notFound',
  reviewer: 'notFound',
  root: 'ok',
};

const everyone = (outcome: Outcome): Record<Caller, Outcome> =>
  Object.fromEntries(CALLERS.map((c) => [c, outcome])) as Record<Caller, Outcome>;

let entries = 0;
/** An entry of the fixture's source, signed by `signer`'s agent for `signer`. */
const auditEntry = (fx: Fixture, signer: Caller): CommandRequest<typeof S.auditAppend> => {
  const agent = callerAgents[signer];
  const body = {
    entry_id: `job-${++entries}:fetch`,
    source_id: fx.sourceId,
    source_uuid: 'fixture',
    kind: 'fetch' as const,
    at: new Date().toISOString(),
    actor: { user_id: principals[signer].id, agent: agent.id },
    data: { download_task_id: fx.downloadId },
  };
  return { ...body, signature: signAuditBody(body, agent) };
};

const ROWS: Row[] = [
  row({
    name: 'upload.create',
    command: S.uploadCreate,
    request: () => ({ series_id: 233, uuid: 'u-1', source_name: 'ep1' }),
    expected: everyone('ok'),
    check: (task) => expect(task.status).toBe(0),
  }),
  row({
    name: "upload.create naming the owner's agent",
    command: S.uploadCreate,
    request: (fx) => ({
      series_id: 233,
      uuid: 'u-2',
      source_name: 'ep2',
      path: 'ep2.mov',
      agent: fx.ownerAgent,
    }),
    // Someone else's agent is refused as if it did not exist.
    expected: { ...everyone('badRequest'), owner: 'ok' },
  }),
  row({
    name: 'upload.update',
    command: S.uploadUpdate,
    request: (fx) => ({ id: fx.freshUploadId, status: 1, percent: 10 }),
    expected: reporter('owner'),
  }),
  row({
    name: 'download.create',
    command: S.downloadCreate,
    request: (fx) => ({ source_id: fx.sourceId }),
    // The owner needs no grant; root needs one like anyone; a revoked grant is told why.
    expected: {
      owner: 'ok',
      grantee: 'ok',
      revokedGrantee: 'forbidden',
      stranger: 'notFound',
      contributor: 'notFound',
      reviewer: 'notFound',
      root: 'forbidden',
    },
  }),
  row({
    name: "download.create naming the grantee's agent",
    command: S.downloadCreate,
    request: (fx) => ({ source_id: fx.sourceId, agent: fx.granteeAgent }),
    expected: {
      owner: 'badRequest',
      grantee: 'ok',
      revokedGrantee: 'forbidden',
      stranger: 'notFound',
      contributor: 'notFound',
      reviewer: 'notFound',
      root: 'forbidden',
    },
  }),
  row({
    name: 'download.update',
    command: S.downloadUpdate,
    request: (fx) => ({ id: fx.downloadId, status: 4, percent: 10 }),
    // The source's owner is not the downloader.
    expected: reporter('grantee'),
  }),
  row({
    name: 'download.get',
    command: S.downloadGet,
    request: (fx) => ({ id: fx.downloadId }),
    expected: { ...everyone('notFound'), grantee: 'ok', root: 'ok' },
  }),
  row({
    name: 'private.list',
    command: S.privateList,
    request: () => ({}),
    expected: everyone('ok'),
    check: (tasks, fx, caller) => {
      const ids = tasks.map((t) => t.id);
      if (caller === 'owner') expect(ids).toContain(fx.privateId);
      else expect(ids).not.toContain(fx.privateId);
    },
  }),
  row({
    name: 'mine',
    command: S.mine,
    request: () => ({}),
    expected: everyone('ok'),
    check: (tasks, fx, caller) => {
      // Only the caller's own tasks, root included: the owner's upload, the grantee's download.
      const uploads = tasks.uploads.map((t) => t.id);
      const downloads = tasks.downloads.map((t) => t.id);
      if (caller === 'owner') expect(uploads).toContain(fx.uploadId);
      else expect(uploads).not.toContain(fx.uploadId);
      if (caller === 'grantee') expect(downloads).toContain(fx.downloadId);
      else expect(downloads).not.toContain(fx.downloadId);
    },
  }),
  row({
    name: 'private.update',
    command: S.privateUpdate,
    request: (fx) => ({ id: fx.privateId, status: 3, percent: 10 }),
    // The private block is the owner's to upload, not the downloader's.
    expected: reporter('owner'),
  }),
  row({
    name: 'source.get',
    command: S.sourceGet,
    request: (fx) => ({ source_id: fx.sourceId }),
    expected: { ...everyone('notFound'), owner: 'ok', grantee: 'ok', root: 'ok' },
  }),
  row({
    name: 'source.delete',
    command: S.sourceDelete,
    request: (fx) => ({ source_id: fx.sourceId }),
    expected: grantManagers,
    check: (source, fx) => expect(source).toMatchObject({ id: fx.sourceId }),
  }),
  row({
    name: 'grant.create',
    command: S.grantCreate,
    request: (fx) => ({ source_id: fx.sourceId, user_id: `newcomer-${run}` }),
    expected: grantManagers,
  }),
  row({
    name: 'grant.list',
    command: S.grantList,
    request: (fx) => ({ source_id: fx.sourceId }),
    expected: grantManagers,
  }),
  row({
    name: 'grant.revoke',
    command: S.grantRevoke,
    request: (fx) => ({ source_id: fx.sourceId, user_id: principals.grantee.id }),
    expected: grantManagers,
  }),
  row({
    name: "audit.append of an entry the caller's own agent signed",
    command: S.auditAppend,
    request: (fx, caller) => auditEntry(fx, caller),
    // A grant revoked or out of its window still lets its holder record how a download ended.
    expected: {
      owner: 'ok',
      grantee: 'ok',
      revokedGrantee: 'ok',
      stranger: 'notFound',
      contributor: 'notFound',
      reviewer: 'notFound',
      root: 'forbidden',
    },
    check: (entry, fx) => expect(entry).toMatchObject({ source_id: fx.sourceId, seq: 4 }),
  }),
  row({
    name: "audit.append of an entry the owner's agent signed",
    command: S.auditAppend,
    request: (fx) => auditEntry(fx, 'owner'),
    // Someone else's entry, however well signed, is not the caller's to append.
    expected: { ...everyone('badRequest'), owner: 'ok' },
  }),
  row({
    name: 'audit.list',
    command: S.auditList,
    request: (fx) => ({ source_id: fx.sourceId }),
    // A grantee reads the source, but not who else was granted it.
    expected: { ...everyone('notFound'), owner: 'ok', root: 'ok' },
    check: (log) => expect(log.map((e) => e.kind)).toEqual(['grant', 'grant', 'revoke']),
  }),
  row({
    name: 'agent.register with a new id',
    command: S.agentRegister,
    request: () => registration(),
    expected: everyone('ok'),
  }),
  row({
    name: "agent.register with the owner's agent id",
    command: S.agentRegister,
    request: (fx) => registration({ id: fx.ownerAgent }),
    // Agent ids name job subjects: one held by someone else cannot be taken over.
    expected: { ...everyone('alreadyExists'), owner: 'ok' },
  }),
  row({
    name: 'agent.list',
    command: S.agentList,
    request: () => ({}),
    expected: everyone('ok'),
    check: (agents, fx, caller) => {
      const ids = agents.map((a) => a.id);
      if (caller === 'owner') expect(ids).toContain(fx.ownerAgent);
      else expect(ids).not.toContain(fx.ownerAgent);
    },
  }),
  row({
    name: 'agent.get',
    command: S.agentGet,
    // Public keys, for anyone to name in a grant: every caller reads the same record.
    request: (fx) => ({ id: fx.ownerAgent }),
    expected: everyone('ok'),
    check: (agent, fx) => expect(agent.id).toBe(fx.ownerAgent),
  }),
];

const CASES = ROWS.flatMap((r) =>
  CALLERS.map((caller) => ({ row: r, caller, outcome: r.expected[caller] })),
);

describe('svc.tasks.* with forged callers, straight on NATS', () => {
  let nats: StartedNats;
  let service: TasksService;
  let nc: NatsConnection;

  const send = <C extends CommandSubject>(command: C, body: CommandRequest<C>, as: Caller) =>
    sendCommand(nc, command, body, { principal: principals[as], signer: testSigner });

  /** Every row of the service's tables, to show that a refusal wrote nothing. */
  const snapshot = async () => {
    const db = service.runtime.database.db;
    const tables = [
      schema.sources,
      schema.uploadTasks,
      schema.downloadTasks,
      schema.privateTasks,
      schema.grants,
      schema.auditEntries,
    ] as const;
    const rows = await Promise.all(tables.map((t) => db.select().from(t).orderBy(asc(t.id))));
    const agents = await db.select().from(schema.agents).orderBy(asc(schema.agents.id));
    return JSON.stringify([...rows, agents]);
  };

  const fixture = async (): Promise<Fixture> => {
    const ownerAgent = (await send(S.agentRegister, registration(), 'owner')).id;
    const granteeAgent = (await send(S.agentRegister, registration(), 'grantee')).id;
    const upload = await send(
      S.uploadCreate,
      { series_id: 233, uuid: 'fixture', source_name: 'fixture' },
      'owner',
    );
    await send(S.uploadUpdate, { id: upload.id, status: 8, hash: 'QmPublicBlock' }, 'owner');
    const sourceId = upload.source_id;
    for (const who of ['grantee', 'revokedGrantee'] as const) {
      await send(S.grantCreate, { source_id: sourceId, user_id: principals[who].id }, 'owner');
    }
    await send(
      S.grantRevoke,
      { source_id: sourceId, user_id: principals.revokedGrantee.id },
      'owner',
    );
    const download = await send(S.downloadCreate, { source_id: sourceId }, 'grantee');
    const privateTask = (await send(S.privateList, {}, 'owner')).find(
      (t) => t.source_id === sourceId,
    )!;
    const fresh = await send(
      S.uploadCreate,
      { series_id: 233, uuid: 'fresh', source_name: 'fresh' },
      'owner',
    );
    return {
      sourceId,
      uploadId: upload.id,
      downloadId: download.id,
      privateId: privateTask.id,
      ownerAgent,
      granteeAgent,
      freshUploadId: fresh.id,
    };
  };

  beforeAll(async () => {
    nats = await startNats();
    service = await startTasksService(
      loadTasksConfig({
        ...(await natsEnv(nats, { kind: 'tasks' })),
        ...principalVerifyEnv(),
        HEALTH_PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: await createDatabase(servers.postgresUrl!, uniqueName('tasks_authz')),
      }),
    );
    nc = await connectAs(nats);
    for (const caller of CALLERS) {
      const agent = callerAgents[caller];
      await send(
        S.agentRegister,
        { id: agent.id, peer_id: `12D3KooW${caller}`, ...agentPublicKeys(agent) },
        caller,
      );
    }
  });

  afterAll(async () => {
    await nc?.drain();
    await service?.close();
    await nats?.stop();
  });

  it('covers every command the service serves', () => {
    const served = Object.values(S).filter((s) => s.startsWith('svc.tasks.'));
    expect(new Set(ROWS.map((r) => r.command))).toEqual(new Set(served));
  });

  it('refuses a command the permission table has no row for, even to root', () => {
    expect(() => assertCallerRoles('svc.tasks.source.purge', principals.root)).toThrow(
      expect.objectContaining({ kind: 'forbidden' }),
    );
  });

  it.each(CASES)('$row.name as $caller → $outcome', async ({ row: r, caller, outcome }) => {
    const fx = await fixture();
    const before = outcome === 'ok' ? '' : await snapshot();
    const reply = send(r.command, r.request(fx, caller), caller);
    if (outcome === 'ok') {
      const answer = await reply;
      r.check?.(answer, fx, caller);
      return;
    }
    const err = await reply.then(
      (answer) => new Error(`answered ${JSON.stringify(answer)}`),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VaultError);
    expect((err as VaultError).kind, (err as Error).message).toBe(outcome);
    // Another user's object: the message names no more than the id that was asked for.
    if (outcome === 'notFound') expect((err as Error).message).toMatch(/not found$/);
    expect(await snapshot(), 'a refused command changed nothing').toBe(before);
  });
});
