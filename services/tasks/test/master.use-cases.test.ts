import { describeOnDatabases } from '@media-vault/test-harness/databases';
import type { VaultError } from '@media-vault/contracts';
import {
  EventSubjects,
  JobSubjects,
  type DownloadTaskEvent,
  type FetchJob,
  type GrantEvent,
  type MasterTaskKind,
  type PinJob,
  type Principal,
  type PrivateTaskEvent,
  type ReleaseJob,
  type SealJob,
  type UploadTaskEvent,
} from '@media-vault/contracts';
import type { OpenDatabase } from '@media-vault/service-kit';
import { asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agents } from '../src/agents/agents.use-case.js';
import type { schema } from '../src/db/index.js';
import { downloadTasks, outbox, privateTasks, uploadTasks } from '../src/db/schema.js';
import { createMasterUseCases, type MasterUseCases } from '../src/master/master.handlers.js';
import {
  principal,
  registration,
  rootPrincipal,
  openTasksDatabase,
  vaultErrorOf,
} from './helpers.js';
import { allowedInGrid, reachableStatuses, WALKS } from './status-table.js';

const SEED_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const HOUR = 3_600_000;
const STATUSES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

describeOnDatabases('film master task use cases on $driver', (backend) => {
  const { driver } = backend;
  let database: OpenDatabase<typeof schema>;
  let opened: Awaited<ReturnType<typeof openTasksDatabase>> | undefined;
  let master: MasterUseCases;
  let agents: Agents;
  let users = 0;
  const newUser = (label: string): Principal => principal(`${label}-${driver}-${++users}`);
  const root = rootPrincipal(`root-${driver}`);

  const outboxRows = async (subjectPrefix: string) =>
    database.db
      .select()
      .from(outbox)
      .where(like(outbox.subject, `${subjectPrefix}%`))
      .orderBy(asc(outbox.id));
  const eventsOf = async <T>(subject: string) =>
    (
      await database.db
        .select()
        .from(outbox)
        .where(eq(outbox.subject, subject))
        .orderBy(asc(outbox.id))
    ).map((row) => row.payload as T);
  const failure = vaultErrorOf;

  /** A source whose public block is uploaded (status 8), ready to be downloaded. */
  const readySource = async (owner: Principal, body: { path?: string; agent?: string } = {}) => {
    const task = await master.uploads.create(owner, {
      series_id: 233,
      uuid: `uuid-${++users}`,
      source_name: '仙剑奇侠传-电视版（第21集）',
      ...body,
    });
    await master.reports.reportUpload(owner, {
      id: task.id,
      status: 8,
      hash: 'QmTxvr8VXe37apeBjyPeAGZi5JiRSbwn8mr2DuuqR517Lo',
      name: 'pub.bin',
      size: 102400,
      ip: 'QmUploader',
      file: '仙剑奇侠传',
    });
    return task;
  };

  beforeAll(async () => {
    opened = await openTasksDatabase(backend, 'tasks_master');
    database = opened.database;
    master = createMasterUseCases(database.db);
    agents = new Agents(database.db);
  });

  afterAll(async () => {
    await opened?.close();
  });

  describe('upload tasks', () => {
    it('creates a source and its task at status 0, with one created event', async () => {
      const owner = newUser('owner');
      const task = await master.uploads.create(owner, {
        series_id: 233,
        uuid: '283509238',
        source_name: '仙剑奇侠传-电视版（第21集）',
      });
      expect(task).toEqual({
        id: expect.any(Number),
        status: 0,
        percent: 0,
        series_id: 233,
        source_id: expect.any(Number),
        source_name: '仙剑奇侠传-电视版（第21集）',
        uuid: '283509238',
        ip: '',
        file: '',
        name: '',
        size: 0,
        hash: '',
        created_at: expect.stringMatching(SEED_TIME),
      });
      const events = await eventsOf<UploadTaskEvent>(EventSubjects.uploadTask(task.id));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'upload.created',
        previous_status: null,
        status: 0,
        record: { ...task, user_id: owner.id, sealed_by: '' },
      });
    });

    it('a report fills in the public block; the same report again changes nothing', async () => {
      const owner = newUser('owner');
      const task = await master.uploads.create(owner, {
        series_id: 1,
        uuid: 'u',
        source_name: 's',
      });
      const report = {
        id: task.id,
        status: 3,
        percent: 40,
        name: 'n',
        file: 'f',
        hash: 'Qm1',
        size: 12.5,
        ip: 'ip',
      };
      const first = await master.reports.reportUpload(owner, report);
      expect(first.changed).toBe(true);
      expect(first.task).toMatchObject({
        status: 3,
        percent: 40,
        name: 'n',
        file: 'f',
        hash: 'Qm1',
        size: 12.5,
        ip: 'ip',
      });
      const again = await master.reports.reportUpload(owner, report);
      expect(again).toEqual({ task: first.task, changed: false });
      // Same status, new percent: a change.
      const progressed = await master.reports.reportUpload(owner, {
        id: task.id,
        status: 3,
        percent: 41,
      });
      expect(progressed.changed).toBe(true);
      expect(progressed.task).toMatchObject({ percent: 41, hash: 'Qm1' });
      const events = await eventsOf<UploadTaskEvent>(EventSubjects.uploadTask(task.id));
      expect(events.map((e) => [e.previous_status, e.status, e.record.percent])).toEqual([
        [null, 0, 0],
        [0, 3, 40],
        [3, 3, 41],
      ]);
      expect(new Set(events.map((e) => e.id)).size).toBe(3);
    });

    it('percent without a report: kept on the same status, 100 when done, 0 on a new step', async () => {
      const owner = newUser('owner');
      const task = await master.uploads.create(owner, {
        series_id: 1,
        uuid: 'u',
        source_name: 's',
      });
      expect(
        (await master.reports.reportUpload(owner, { id: task.id, status: 1, percent: 30 })).task
          .percent,
      ).toBe(30);
      expect(
        (await master.reports.reportUpload(owner, { id: task.id, status: 2 })).task.percent,
      ).toBe(0);
      expect(
        (await master.reports.reportUpload(owner, { id: task.id, status: 2, percent: 70 })).task
          .percent,
      ).toBe(70);
      expect(
        (await master.reports.reportUpload(owner, { id: task.id, status: 9 })).task.percent,
      ).toBe(70);
      expect(
        (await master.reports.reportUpload(owner, { id: task.id, status: 0 })).task.percent,
      ).toBe(0);
      const done = await master.reports.reportUpload(owner, { id: task.id, status: 8, hash: 'Qm' });
      expect(done.task.percent).toBe(100);
    });

    it('cannot be done without the public block hash', async () => {
      const owner = newUser('owner');
      const task = await master.uploads.create(owner, {
        series_id: 1,
        uuid: 'u',
        source_name: 's',
      });
      const err = await failure(master.reports.reportUpload(owner, { id: task.id, status: 8 }));
      expect(err.kind).toBe('badRequest');
      expect(err.message).toBe(
        `hash: upload task ${task.id} needs the block's IPFS hash to reach status 8`,
      );
      const [row] = await database.db.select().from(uploadTasks).where(eq(uploadTasks.id, task.id));
      expect(row?.status).toBe(0);
    });

    it('an upload reaching 8 with its hash asks the platform to pin it, once', async () => {
      const owner = newUser('seeder');
      const task = await readySource(owner);
      const pins = (await eventsOf<PinJob>(JobSubjects.pin)).filter(
        (j) => j.task.kind === 'upload' && j.task.id === task.id,
      );
      expect(pins.map(({ cid, peers }) => ({ cid, peers }))).toEqual([
        { cid: 'QmTxvr8VXe37apeBjyPeAGZi5JiRSbwn8mr2DuuqR517Lo', peers: ['QmUploader'] },
      ]);
    });

    it('with path and agent: the seal job goes through the outbox and the source records its sealer', async () => {
      const owner = newUser('owner');
      const { agent } = await agents.register(owner, registration());
      const task = await master.uploads.create(owner, {
        series_id: 7,
        uuid: 'seal-me',
        source_name: 'master.mov',
        path: 'studio/ep21/master.mov',
        agent: agent.id,
      });
      const jobs = await outboxRows(JobSubjects.seal(agent.id));
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.msgId).toBe((jobs[0]?.payload as SealJob).id);
      expect(jobs[0]?.payload).toEqual({
        id: expect.any(String),
        agent: agent.id,
        userId: owner.id,
        taskId: task.id,
        sourceId: task.source_id,
        uuid: 'seal-me',
        sourceName: 'master.mov',
        path: 'studio/ep21/master.mov',
      });
      expect((await master.grants.getSource(owner, task.source_id)).sealed_by).toBe(agent.id);
    });

    it.each([
      [
        'an absolute path',
        { path: '/etc/passwd' },
        "path: must be relative to the agent's ingest root",
      ],
      ['a home path', { path: '~/x' }, "path: must be relative to the agent's ingest root"],
      ['a drive path', { path: 'C:/x' }, "path: must be relative to the agent's ingest root"],
      ['a .. segment', { path: 'a/../../b' }, 'path: must not contain ".." segments'],
      ['only dots', { path: './' }, 'path: must name a file'],
    ])('refuses %s and writes nothing', async (_label, over, message) => {
      const owner = newUser('owner');
      const { agent } = await agents.register(owner, registration());
      const err = await failure(
        master.uploads.create(owner, {
          series_id: 1,
          uuid: 'u',
          source_name: 's',
          agent: agent.id,
          ...over,
        }),
      );
      expect(err).toMatchObject({ kind: 'badRequest', message });
      expect(await outboxRows(JobSubjects.agent(agent.id).slice(0, -1))).toHaveLength(0);
    });

    it("refuses path without agent, agent without path, and another user's agent", async () => {
      const owner = newUser('owner');
      const other = newUser('other');
      const { agent } = await agents.register(other, registration());
      const base = { series_id: 1, uuid: 'u', source_name: 's' };
      expect(await failure(master.uploads.create(owner, { ...base, path: 'a.mov' }))).toMatchObject(
        {
          kind: 'badRequest',
          message: expect.stringContaining('path and agent go together'),
        },
      );
      expect(
        await failure(master.uploads.create(owner, { ...base, agent: agent.id })),
      ).toMatchObject({
        kind: 'badRequest',
      });
      expect(
        await failure(master.uploads.create(owner, { ...base, path: 'a.mov', agent: agent.id })),
      ).toMatchObject({
        kind: 'badRequest',
        message: `agent: you have no agent with id ${agent.id}`,
      });
      expect(await outboxRows(JobSubjects.agent(agent.id).slice(0, -1))).toHaveLength(0);
    });
  });

  describe('the status machine, against the table written out in status-table.ts', () => {
    /** A new task of `kind` at status 0 and a way to report on it. */
    const newTask = async (kind: MasterTaskKind) => {
      const owner = newUser(`table-${kind}`);
      if (kind === 'upload') {
        const task = await master.uploads.create(owner, {
          series_id: 1,
          uuid: 'u',
          source_name: 's',
        });
        return {
          id: task.id,
          report: (status: number, percent?: number) =>
            master.reports.reportUpload(owner, { id: task.id, status, percent, hash: 'QmTable' }),
        };
      }
      const source = await readySource(owner);
      const download = await master.downloads.create(owner, { source_id: source.source_id });
      if (kind === 'download') {
        return {
          id: download.task.id,
          report: (status: number, percent?: number) =>
            master.downloads.update(owner, { id: download.task.id, status, percent }),
        };
      }
      const [row] = await database.db
        .select()
        .from(privateTasks)
        .where(eq(privateTasks.downloadId, download.task.id));
      return {
        id: row!.id,
        report: (status: number, percent?: number) =>
          master.reports.reportPrivate(owner, { id: row!.id, status, percent, hash: 'QmTable' }),
      };
    };
    const subjectOf = (kind: MasterTaskKind, id: number) =>
      ({
        upload: EventSubjects.uploadTask,
        download: EventSubjects.downloadTask,
        private: EventSubjects.privateTask,
      })[kind](id);

    it.each(['upload', 'download', 'private'] as const)('%s tasks', async (kind) => {
      const mismatches: string[] = [];
      const reachable = reachableStatuses(kind);
      for (const from of reachable) {
        for (const to of STATUSES) {
          const task = await newTask(kind);
          for (const step of WALKS[kind][from]!) await task.report(step);
          const subject = subjectOf(kind, task.id);
          const before = (await eventsOf(subject)).length;
          const allowed = allowedInGrid(kind, from, to);
          // Repeating a status is a change only with a new percent.
          const outcome = await task.report(to, from === to ? 37 : undefined).then(
            (r) => ({ ok: true as const, status: r.task.status, changed: r.changed }),
            (e: unknown) => ({ ok: false as const, error: e as VaultError }),
          );
          const events = await eventsOf<{ previous_status: number; status: number }>(subject);
          const label = `${kind} ${from}→${to}`;
          if (allowed) {
            if (!outcome.ok) mismatches.push(`${label}: refused (${outcome.error.message})`);
            else if (outcome.status !== to || !outcome.changed)
              mismatches.push(`${label}: not applied`);
            else if (events.length !== before + 1)
              mismatches.push(`${label}: ${events.length - before} events`);
            else if (events.at(-1)?.previous_status !== from || events.at(-1)?.status !== to)
              mismatches.push(
                `${label}: event says ${events.at(-1)?.previous_status}→${events.at(-1)?.status}`,
              );
          } else {
            const expected = `${kind} task ${task.id} cannot go from ${from} to ${to} (`;
            if (outcome.ok) mismatches.push(`${label}: allowed`);
            else if (
              outcome.error.kind !== 'conflict' ||
              !outcome.error.message.startsWith(expected)
            )
              mismatches.push(`${label}: ${outcome.error.kind} ${outcome.error.message}`);
            else if (events.length !== before)
              mismatches.push(`${label}: refused but wrote an event`);
          }
        }
      }
      expect(mismatches).toEqual([]);
    });
  });

  describe('grants and download creation', () => {
    it('without any grant the source does not exist for the caller; root is told it needs one', async () => {
      const owner = newUser('owner');
      const stranger = newUser('stranger');
      const source = await readySource(owner);
      expect(
        await failure(master.downloads.create(stranger, { source_id: source.source_id })),
      ).toMatchObject({
        kind: 'notFound',
        message: `source ${source.source_id} not found`,
      });
      expect(await failure(master.grants.getSource(stranger, source.source_id))).toMatchObject({
        kind: 'notFound',
      });
      expect(
        await failure(master.downloads.create(root, { source_id: source.source_id })),
      ).toMatchObject({
        kind: 'forbidden',
        message: expect.stringContaining('you hold no grant'),
      });
      expect(
        await failure(master.downloads.create(stranger, { source_id: 2_000_000 })),
      ).toMatchObject({
        kind: 'notFound',
        message: 'source 2000000 not found',
      });
      const rows = await database.db
        .select()
        .from(downloadTasks)
        .where(eq(downloadTasks.sourceId, source.source_id));
      expect(rows).toHaveLength(0);
    });

    it.each([
      [
        'before not_before',
        { not_before: new Date(Date.now() + HOUR).toISOString() },
        /is valid from /,
      ],
      ['after not_after', { not_after: new Date(Date.now() - HOUR).toISOString() }, /expired at /],
    ])('refuses a download %s with 403 saying why', async (_label, window, reason) => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const source = await readySource(owner);
      const { grant } = await master.grants.create(owner, {
        source_id: source.source_id,
        user_id: licensee.id,
        ...window,
      });
      expect(grant.valid).toBe(false);
      const err = await failure(master.downloads.create(licensee, { source_id: source.source_id }));
      expect(err.kind).toBe('forbidden');
      expect(err.message).toMatch(reason);
      expect(err.message).toContain(`source ${source.source_id}`);
      const rows = await database.db
        .select()
        .from(downloadTasks)
        .where(eq(downloadTasks.sourceId, source.source_id));
      expect(rows).toHaveLength(0);
    });

    it('a grant inside its window allows it; after revocation it is refused again', async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const source = await readySource(owner);
      const { grant } = await master.grants.create(owner, {
        source_id: source.source_id,
        user_id: licensee.id,
        not_before: new Date(Date.now() - HOUR).toISOString(),
        not_after: new Date(Date.now() + HOUR).toISOString(),
      });
      expect(grant).toMatchObject({ status: 'active', valid: true, granted_by: owner.id });
      const { task, changed } = await master.downloads.create(licensee, {
        source_id: source.source_id,
      });
      expect(changed).toBe(true);
      expect(task).toMatchObject({
        status: 0,
        source_id: source.source_id,
        hash: 'QmTxvr8VXe37apeBjyPeAGZi5JiRSbwn8mr2DuuqR517Lo',
        size: 102400,
        private_status: 0,
        private_name: '',
        private_size: 0,
        private_hash: '',
      });
      expect((await master.grants.getSource(licensee, source.source_id)).hash).toBe(task.hash);

      const revoked = await master.grants.revoke(owner, {
        source_id: source.source_id,
        user_id: licensee.id,
      });
      expect(revoked).toMatchObject({ changed: true, grant: { status: 'revoked', valid: false } });
      const err = await failure(master.downloads.create(licensee, { source_id: source.source_id }));
      expect(err).toMatchObject({
        kind: 'forbidden',
        message: expect.stringMatching(/was revoked at /),
      });
      expect(await failure(master.grants.getSource(licensee, source.source_id))).toMatchObject({
        kind: 'notFound',
      });
      // Revoking again changes nothing; granting again lifts the revocation.
      expect(
        (await master.grants.revoke(owner, { source_id: source.source_id, user_id: licensee.id }))
          .changed,
      ).toBe(false);
      const regranted = await master.grants.create(root, {
        source_id: source.source_id,
        user_id: licensee.id,
      });
      expect(regranted).toMatchObject({
        changed: true,
        grant: { status: 'active', valid: true, granted_by: root.id, not_before: null },
      });
      const events = await eventsOf<GrantEvent>(EventSubjects.grant(grant.id));
      expect(events.map((e) => [e.type, e.previous_status, e.status])).toEqual([
        ['grant.created', null, 'active'],
        ['grant.revoked', 'active', 'revoked'],
        ['grant.updated', 'revoked', 'active'],
      ]);
    });

    it('grants: same window again is no change; only owner and root manage them', async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const stranger = newUser('stranger');
      const source = await readySource(owner);
      const body = {
        source_id: source.source_id,
        user_id: licensee.id,
        not_after: '2999-01-01 00:00:00',
      };
      const first = await master.grants.create(owner, body);
      expect(first.grant.not_after).toBe('2999-01-01T00:00:00.000Z');
      expect(
        await master.grants.create(owner, { ...body, not_after: '2999-01-01T00:00:00Z' }),
      ).toEqual({ grant: first.grant, changed: false });
      expect(
        await failure(master.grants.create(stranger, { ...body, user_id: stranger.id })),
      ).toMatchObject({ kind: 'notFound' });
      expect(await failure(master.grants.list(licensee, source.source_id))).toMatchObject({
        kind: 'forbidden',
      });
      expect(await failure(master.grants.revoke(licensee, body))).toMatchObject({
        kind: 'forbidden',
      });
      expect(
        await failure(master.grants.create(owner, { ...body, user_id: owner.id })),
      ).toMatchObject({
        kind: 'badRequest',
        message: expect.stringContaining('needs no grant'),
      });
      expect(
        await failure(
          master.grants.create(owner, {
            ...body,
            not_before: '2999-01-02',
            not_after: '2999-01-01',
          }),
        ),
      ).toMatchObject({ kind: 'badRequest', message: 'not_after: must be later than not_before' });
      expect(
        await failure(master.grants.create(owner, { ...body, not_before: '2024-13-45' })),
      ).toMatchObject({
        kind: 'badRequest',
      });
      expect(
        await failure(
          master.grants.revoke(owner, { source_id: source.source_id, user_id: stranger.id }),
        ),
      ).toMatchObject({
        kind: 'notFound',
        message: `${stranger.id} holds no grant for source ${source.source_id}`,
      });
      expect(await master.grants.list(owner, source.source_id)).toEqual([first.grant]);
      expect(await master.grants.list(root, source.source_id)).toEqual([first.grant]);
      expect(await eventsOf(EventSubjects.grant(first.grant.id))).toHaveLength(1);
    });

    it('a source whose public block is not uploaded yet cannot be downloaded', async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const task = await master.uploads.create(owner, {
        series_id: 1,
        uuid: 'u',
        source_name: 's',
      });
      await master.grants.create(owner, { source_id: task.source_id, user_id: licensee.id });
      expect(
        await failure(master.downloads.create(licensee, { source_id: task.source_id })),
      ).toMatchObject({
        kind: 'conflict',
        message: `source ${task.source_id} is not ready to download: its public block upload is at status 0, not 8`,
      });
    });

    it('the owner needs no grant; its download opens a private task for itself', async () => {
      const owner = newUser('owner');
      const source = await readySource(owner);
      const { task } = await master.downloads.create(owner, { source_id: source.source_id });
      expect((await master.privates.list(owner)).map((p) => p.source_id)).toContain(
        source.source_id,
      );
      expect(task.status).toBe(0);
    });

    it('creation is idempotent while unfinished, also under concurrency; a finished one makes room', async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const source = await readySource(owner);
      await master.grants.create(owner, { source_id: source.source_id, user_id: licensee.id });

      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          master.downloads.create(licensee, { source_id: source.source_id }),
        ),
      );
      expect(results.filter((r) => r.changed)).toHaveLength(1);
      const id = results[0]!.task.id;
      expect(results.every((r) => r.task.id === id)).toBe(true);
      expect(await eventsOf(EventSubjects.downloadTask(id))).toHaveLength(1);
      const privates = await database.db
        .select()
        .from(privateTasks)
        .where(eq(privateTasks.sourceId, source.source_id));
      expect(privates).toHaveLength(1);
      expect(privates[0]).toMatchObject({ downloadId: id, userId: owner.id, status: 0 });
      expect(await eventsOf(EventSubjects.privateTask(privates[0]!.id))).toHaveLength(1);

      // At 9 the task is finished: a new request opens a new one, and the old cannot be retried.
      await master.downloads.update(licensee, { id, status: 9 });
      const second = await master.downloads.create(licensee, { source_id: source.source_id });
      expect(second.changed).toBe(true);
      expect(second.task.id).not.toBe(id);
      const err = await failure(master.downloads.update(licensee, { id, status: 0 }));
      expect(err).toMatchObject({
        kind: 'conflict',
        message: `download task ${id} cannot go from 9 to 0: download task ${second.task.id} of source ${source.source_id} is still open`,
      });
      // Once the new one is done, the old one may be retried.
      await master.downloads.update(licensee, { id: second.task.id, status: 9 });
      expect((await master.downloads.update(licensee, { id, status: 0 })).task.status).toBe(0);
    });
  });

  describe('private uploads', () => {
    it('every report mirrors its status onto the download task; done with a hash fills private_*', async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const source = await readySource(owner);
      await master.grants.create(owner, { source_id: source.source_id, user_id: licensee.id });
      const { task: download } = await master.downloads.create(licensee, {
        source_id: source.source_id,
      });
      const [listed] = (await master.privates.list(owner)).filter(
        (p) => p.source_id === source.source_id,
      );
      expect(listed).toEqual({
        id: expect.any(Number),
        status: 0,
        percent: 0,
        series_id: 233,
        source_id: source.source_id,
        source_name: '仙剑奇侠传-电视版（第21集）',
        uuid: source.uuid,
        ip: '',
        file: '',
        name: '',
        size: 0,
        hash: '',
        created_at: expect.stringMatching(SEED_TIME),
      });
      expect(await master.privates.list(licensee)).toEqual([]);
      const id = listed!.id;

      await master.reports.reportPrivate(owner, { id, status: 3, percent: 20 });
      expect(await master.downloads.get(licensee, download.id)).toMatchObject({
        private_status: 3,
        private_hash: '',
      });
      // Percent only: the download task does not change, so it gets no event.
      await master.reports.reportPrivate(owner, { id, status: 3, percent: 60 });
      await master.reports.reportPrivate(owner, {
        id,
        status: 8,
        name: 'key.bin',
        size: 512,
        hash: 'QmPrivate',
        file: 'f',
        ip: 'ip',
      });
      // The platform is asked to pin the released block, from the node that reported it.
      const pins = (await eventsOf<PinJob>(JobSubjects.pin)).filter((j) => j.cid === 'QmPrivate');
      expect(pins.map(({ cid, peers, task }) => ({ cid, peers, task }))).toEqual([
        { cid: 'QmPrivate', peers: ['ip'], task: { kind: 'private', id } },
      ]);
      const after = await master.downloads.get(licensee, download.id);
      expect(after).toMatchObject({
        private_status: 8,
        private_name: 'key.bin',
        private_size: 512,
        private_hash: 'QmPrivate',
      });
      expect(await master.downloads.get(root, download.id)).toEqual(after);

      const privateEvents = await eventsOf<PrivateTaskEvent>(EventSubjects.privateTask(id));
      expect(privateEvents.map((e) => [e.previous_status, e.status, e.record.percent])).toEqual([
        [null, 0, 0],
        [0, 3, 20],
        [3, 3, 60],
        [3, 8, 100],
      ]);
      expect(privateEvents.at(-1)?.record).toMatchObject({
        download_task_id: download.id,
        user_id: owner.id,
        hash: 'QmPrivate',
      });
      const downloadEvents = await eventsOf<DownloadTaskEvent>(
        EventSubjects.downloadTask(download.id),
      );
      expect(
        downloadEvents.map((e) => [
          e.previous_status,
          e.status,
          e.record.private_status,
          e.record.private_hash,
        ]),
      ).toEqual([
        [null, 0, 0, ''],
        [0, 0, 3, ''],
        [0, 0, 8, 'QmPrivate'],
      ]);
      // Leaving 8 takes the private block off the download task again.
      await master.reports.reportPrivate(owner, { id, status: 9 });
      expect(await master.downloads.get(licensee, download.id)).toMatchObject({
        private_status: 9,
        private_hash: '',
        private_size: 0,
        private_name: '',
      });
    });

    it('cannot be done without a hash', async () => {
      const owner = newUser('owner');
      const source = await readySource(owner);
      await master.downloads.create(owner, { source_id: source.source_id });
      const [task] = (await master.privates.list(owner)).filter(
        (p) => p.source_id === source.source_id,
      );
      expect(
        await failure(master.reports.reportPrivate(owner, { id: task!.id, status: 8 })),
      ).toMatchObject({ kind: 'badRequest' });
    });
  });

  describe('ownership', () => {
    it("another user's tasks do not exist for them; root reads all but writes none", async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const intruder = newUser('intruder');
      const source = await readySource(owner);
      await master.grants.create(owner, { source_id: source.source_id, user_id: licensee.id });
      await master.grants.create(owner, { source_id: source.source_id, user_id: intruder.id });
      const { task: download } = await master.downloads.create(licensee, {
        source_id: source.source_id,
      });
      const [privateTask] = (await master.privates.list(owner)).filter(
        (p) => p.source_id === source.source_id,
      );
      const before = await outboxRows('events.');

      const writes = (who: Principal) => ({
        upload: () => master.reports.reportUpload(who, { id: source.id, status: 9 }),
        download: () => master.downloads.update(who, { id: download.id, status: 4 }),
        private: () => master.reports.reportPrivate(who, { id: privateTask!.id, status: 3 }),
      });
      const asIntruder = writes(intruder);
      for (const attempt of [
        asIntruder.upload,
        asIntruder.download,
        asIntruder.private,
        () => master.downloads.get(intruder, download.id),
      ]) {
        expect((await failure(attempt())).kind).toBe('notFound');
      }
      // Even the licensee, who can see the source, cannot touch the owner's tasks, nor the
      // owner the licensee's.
      expect((await failure(writes(licensee).upload())).kind).toBe('notFound');
      expect((await failure(writes(licensee).private())).kind).toBe('notFound');
      expect((await failure(writes(owner).download())).kind).toBe('notFound');
      for (const attempt of Object.values(writes(root))) {
        const err = await failure(attempt());
        expect(err.kind).toBe('forbidden');
        expect(err.message).toMatch(
          /^only its owner can update (upload|download|private) task \d+$/,
        );
      }
      expect(await master.downloads.get(root, download.id)).toEqual(
        await master.downloads.get(licensee, download.id),
      );
      expect(await master.grants.getSource(root, source.source_id)).toMatchObject({
        user_id: owner.id,
      });
      expect(await outboxRows('events.')).toHaveLength(before.length);
      const [row] = await database.db
        .select()
        .from(downloadTasks)
        .where(eq(downloadTasks.id, download.id));
      expect(row?.status).toBe(0);
    });
  });

  describe('failure reasons', () => {
    it('a report of 9 keeps its reason, shown in the event; moving on clears it', async () => {
      const owner = newUser('owner');
      const task = await master.uploads.create(owner, {
        series_id: 1,
        uuid: `uuid-${++users}`,
        source_name: 'ep.mov',
      });
      await master.reports.reportUpload(owner, { id: task.id, status: 9, reason: '  disk full  ' });
      await master.reports.reportUpload(owner, { id: task.id, status: 0 });
      const events = await eventsOf<UploadTaskEvent>(EventSubjects.uploadTask(task.id));
      expect(events.map((e) => [e.status, e.record.reason])).toEqual([
        [0, ''],
        [9, 'disk full'],
        [0, ''],
      ]);
      const [row] = await database.db.select().from(uploadTasks).where(eq(uploadTasks.id, task.id));
      expect(row?.reason).toBe('');
    });

    it('a download failing with a reason, then the same report again, is one event', async () => {
      const owner = newUser('owner');
      const source = await readySource(owner);
      const { task } = await master.downloads.create(owner, { source_id: source.source_id });
      const report = { id: task.id, status: 9, reason: 'tampered: segment 3' };
      expect((await master.downloads.update(owner, report)).changed).toBe(true);
      expect((await master.downloads.update(owner, report)).changed).toBe(false);
      const events = await eventsOf<DownloadTaskEvent>(EventSubjects.downloadTask(task.id));
      expect(events.at(-1)?.record.reason).toBe('tampered: segment 3');
    });

    it('a reason with any status but 9 is a 400 and changes nothing', async () => {
      const owner = newUser('owner');
      const task = await master.uploads.create(owner, {
        series_id: 1,
        uuid: `uuid-${++users}`,
        source_name: 'ep.mov',
      });
      expect(
        await failure(
          master.reports.reportUpload(owner, { id: task.id, status: 1, reason: 'why' }),
        ),
      ).toMatchObject({ kind: 'badRequest', message: expect.stringMatching(/^reason: /) });
      expect(await eventsOf(EventSubjects.uploadTask(task.id))).toHaveLength(1);
    });
  });

  describe('agent pipeline jobs', () => {
    it("a download with the caller's agent fetches; with a sealed source the owner's agent releases", async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const { agent: sealer } = await agents.register(owner, registration());
      const { agent: fetcher } = await agents.register(licensee, registration());
      const source = await readySource(owner, { path: 'ep1.mov', agent: sealer.id });
      const notAfter = new Date(Date.now() + HOUR).toISOString();
      await master.grants.create(owner, {
        source_id: source.source_id,
        user_id: licensee.id,
        not_after: notAfter,
      });

      const { task } = await master.downloads.create(licensee, {
        source_id: source.source_id,
        agent: fetcher.id,
      });
      // The same request again returns the open task and enqueues nothing more.
      await master.downloads.create(licensee, { source_id: source.source_id, agent: fetcher.id });

      const [privateRow] = await database.db
        .select()
        .from(privateTasks)
        .where(eq(privateTasks.downloadId, task.id));
      const fetches = await outboxRows(JobSubjects.fetch(fetcher.id));
      expect(fetches.map((r) => r.payload)).toEqual([
        {
          id: expect.any(String),
          agent: fetcher.id,
          userId: licensee.id,
          downloadTaskId: task.id,
          privateTaskId: privateRow!.id,
          sourceId: source.source_id,
          uuid: source.uuid,
          sourceName: source.source_name,
          publicBlock: { hash: task.hash, name: 'pub.bin', size: 102400 },
          sealer: { agent: sealer.id, signingKey: sealer.signing_key, ownerKey: '' },
          grant: null,
        } satisfies FetchJob,
      ]);
      const releases = await outboxRows(JobSubjects.release(sealer.id));
      expect(releases.map((r) => r.payload)).toEqual([
        {
          id: expect.any(String),
          agent: sealer.id,
          ownerId: owner.id,
          privateTaskId: privateRow!.id,
          downloadTaskId: task.id,
          sourceId: source.source_id,
          uuid: source.uuid,
          publicBlockCid: task.hash,
          recipient: {
            userId: licensee.id,
            agent: fetcher.id,
            peerId: fetcher.peer_id,
            publicKey: fetcher.public_key,
            signingKey: fetcher.signing_key,
          },
        } satisfies ReleaseJob,
      ]);
    });

    it('a retry (9 → 0) sends the agent job behind the task again', async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const { agent: sealer } = await agents.register(owner, registration());
      const { agent: fetcher } = await agents.register(licensee, registration());
      const upload = await master.uploads.create(owner, {
        series_id: 1,
        uuid: `uuid-${++users}`,
        source_name: 'ep3.mov',
        path: 'ep3.mov',
        agent: sealer.id,
      });
      const seals = async () =>
        (await outboxRows(JobSubjects.seal(sealer.id))).filter(
          (r) => (r.payload as SealJob).taskId === upload.id,
        );
      await master.reports.reportUpload(owner, { id: upload.id, status: 9, reason: 'disk full' });
      expect(await seals()).toHaveLength(1);
      await master.reports.reportUpload(owner, { id: upload.id, status: 0 });
      expect(await seals()).toHaveLength(2);

      const source = await readySource(owner, { path: 'ep4.mov', agent: sealer.id });
      await master.grants.create(owner, { source_id: source.source_id, user_id: licensee.id });
      const { task } = await master.downloads.create(licensee, {
        source_id: source.source_id,
        agent: fetcher.id,
      });
      const jobsOf = async (subject: string) =>
        (await outboxRows(subject)).filter(
          (r) => (r.payload as { downloadTaskId: number }).downloadTaskId === task.id,
        );
      await master.downloads.update(licensee, { id: task.id, status: 9, reason: 'tampered' });
      await master.downloads.update(licensee, { id: task.id, status: 0 });
      expect(await jobsOf(JobSubjects.fetch(fetcher.id))).toHaveLength(2);
      expect(await jobsOf(JobSubjects.release(sealer.id))).toHaveLength(1);

      const [privateRow] = await database.db
        .select()
        .from(privateTasks)
        .where(eq(privateTasks.downloadId, task.id));
      await master.reports.reportPrivate(owner, {
        id: privateRow!.id,
        status: 9,
        reason: 'no vault',
      });
      await master.reports.reportPrivate(owner, { id: privateRow!.id, status: 0 });
      const releases = await jobsOf(JobSubjects.release(sealer.id));
      expect(releases).toHaveLength(2);
      expect(releases.at(-1)?.payload).toMatchObject({
        privateTaskId: privateRow!.id,
        recipient: { agent: fetcher.id },
      });
      expect(await jobsOf(JobSubjects.fetch(fetcher.id))).toHaveLength(2);
    });

    it('a retried hand upload sends no job', async () => {
      const owner = newUser('owner');
      const upload = await master.uploads.create(owner, {
        series_id: 1,
        uuid: `uuid-${++users}`,
        source_name: 'ep5.mov',
      });
      await master.reports.reportUpload(owner, { id: upload.id, status: 9 });
      await master.reports.reportUpload(owner, { id: upload.id, status: 0 });
      const rows = await outboxRows('jobs.');
      expect(rows.filter((r) => (r.payload as SealJob).taskId === upload.id)).toHaveLength(0);
    });

    it('without an agent on the download, nothing is enqueued; a foreign agent is refused', async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const { agent: sealer } = await agents.register(owner, registration());
      const source = await readySource(owner, { path: 'ep2.mov', agent: sealer.id });
      await master.grants.create(owner, { source_id: source.source_id, user_id: licensee.id });
      expect(
        await failure(
          master.downloads.create(licensee, { source_id: source.source_id, agent: sealer.id }),
        ),
      ).toMatchObject({
        kind: 'badRequest',
        message: `agent: you have no agent with id ${sealer.id}`,
      });
      await master.downloads.create(licensee, { source_id: source.source_id });
      expect(await outboxRows(JobSubjects.release(sealer.id))).toHaveLength(0);
    });
  });
});
