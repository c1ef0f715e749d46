import {
  AssetJobSubjects,
  EventSubjects,
  type DownloadTaskEvent,
  type GrantEvent,
  type Principal,
  type PrivateTaskEvent,
  type UnpinJob,
  type UploadTaskEvent,
} from '@media-vault/contracts';
import type { OpenDatabase } from '@media-vault/service-kit';
import { describeOnDatabases } from '@media-vault/test-harness/databases';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { schema } from '../src/db/index.js';
import { outbox } from '../src/db/schema.js';
import { createMasterUseCases, type MasterUseCases } from '../src/master/master.handlers.js';
import { openTasksDatabase, principal, rootPrincipal, vaultErrorOf } from './helpers.js';

const PUBLIC = 'bafkreipublicblockofthedeletedsource';

describeOnDatabases('deleting a source on $driver', (backend) => {
  const { driver } = backend;
  let database: OpenDatabase<typeof schema>;
  let opened: Awaited<ReturnType<typeof openTasksDatabase>> | undefined;
  let master: MasterUseCases;
  let users = 0;
  const newUser = (label: string): Principal => principal(`${label}-${driver}-${++users}`);
  const root = rootPrincipal(`root-del-${driver}`);

  const eventsOf = async <T>(subject: string) =>
    (
      await database.db
        .select()
        .from(outbox)
        .where(eq(outbox.subject, subject))
        .orderBy(asc(outbox.id))
    ).map((row) => row.payload as T);
  const unpinJobsNaming = async (cid: string) =>
    (await eventsOf<UnpinJob>(AssetJobSubjects.unpin)).filter((job) => job.cids.includes(cid));

  const sourceOf = async (owner: Principal, publicHash = `${PUBLIC}${++users}`) => {
    const task = await master.uploads.create(owner, {
      series_id: 233,
      uuid: `uuid-del-${++users}`,
      source_name: 'ep21.mov',
    });
    await master.reports.reportUpload(owner, {
      id: task.id,
      status: 8,
      hash: publicHash,
      name: 'pub.bin',
      size: 1024,
      ip: 'QmStudioPeer',
    });
    return { ...task, hash: publicHash };
  };

  /** A grantee with a download open, and the private task its owner owes for it. */
  const downloader = async (owner: Principal, sourceId: number) => {
    const user = newUser('licensee');
    await master.grants.create(owner, { source_id: sourceId, user_id: user.id });
    const { task } = await master.downloads.create(user, { source_id: sourceId });
    const privateTask = (await master.privates.list(owner)).find(
      (p) => p.source_id === sourceId && !seen.has(p.id),
    )!;
    seen.add(privateTask.id);
    return { user, download: task, privateId: privateTask.id };
  };
  const seen = new Set<number>();

  beforeAll(async () => {
    opened = await openTasksDatabase(backend, 'tasks_source_deletion');
    database = opened.database;
    master = createMasterUseCases(database.db);
  });

  afterAll(async () => {
    await opened?.close();
  });

  it('only its owner or root deletes it; a grantee is told 403, anyone else 404, nothing changes', async () => {
    const owner = newUser('owner');
    const source = await sourceOf(owner);
    const { user: grantee } = await downloader(owner, source.source_id);
    expect(await vaultErrorOf(master.sources.delete(grantee, source.source_id))).toMatchObject({
      kind: 'forbidden',
    });
    expect(
      await vaultErrorOf(master.sources.delete(newUser('stranger'), source.source_id)),
    ).toMatchObject({ kind: 'notFound', message: `source ${source.source_id} not found` });
    expect(await unpinJobsNaming(source.hash)).toEqual([]);
    expect((await master.grants.getSource(grantee, source.source_id)).hash).toBe(source.hash);

    await master.sources.delete(root, source.source_id);
    expect(await vaultErrorOf(master.grants.getSource(owner, source.source_id))).toMatchObject({
      kind: 'notFound',
    });
  });

  it('revokes its grants, ends its running tasks at 9, unpins its blocks, and is gone after', async () => {
    const owner = newUser('owner');
    const source = await sourceOf(owner);
    const sourceId = source.source_id;
    // One download whose key was released (its private block at 8), one still waiting for it.
    const released = await downloader(owner, sourceId);
    await master.reports.reportPrivate(owner, {
      id: released.privateId,
      status: 8,
      hash: 'bafkreireleasedprivateblock',
      name: 'key.bin',
      size: 300,
      ip: 'QmStudioPeer',
    });
    const waiting = await downloader(owner, sourceId);
    await master.reports.reportPrivate(owner, { id: waiting.privateId, status: 3, percent: 40 });
    await master.downloads.update(waiting.user, { id: waiting.download.id, status: 4 });

    const { source: reply, changed } = await master.sources.delete(owner, sourceId);
    expect(changed).toBe(true);
    expect(reply).toMatchObject({ id: sourceId, status: 8, hash: source.hash });

    const reason = `source ${sourceId} was deleted`;
    for (const { user, download } of [released, waiting]) {
      expect(await master.downloads.get(user, download.id)).toMatchObject({ status: 9 });
      const events = await eventsOf<DownloadTaskEvent>(EventSubjects.downloadTask(download.id));
      expect(events.at(-1)).toMatchObject({ status: 9, record: { reason } });
    }
    // The released key stays as it was; the one still owed ends with the download.
    expect(await master.downloads.get(released.user, released.download.id)).toMatchObject({
      private_status: 8,
    });
    expect(await master.downloads.get(waiting.user, waiting.download.id)).toMatchObject({
      private_status: 9,
    });
    const privateEvents = await eventsOf<PrivateTaskEvent>(
      EventSubjects.privateTask(waiting.privateId),
    );
    expect(privateEvents.at(-1)).toMatchObject({
      previous_status: 3,
      status: 9,
      record: { reason },
    });
    expect(
      (await eventsOf<PrivateTaskEvent>(EventSubjects.privateTask(released.privateId))).at(-1),
    ).toMatchObject({ status: 8 });
    // The finished upload is history: no event for it.
    const uploadEvents = await eventsOf<UploadTaskEvent>(EventSubjects.uploadTask(source.id));
    expect(uploadEvents.at(-1)).toMatchObject({ status: 8 });

    const grants = (
      await Promise.all(
        [released, waiting].map(async ({ user }) =>
          (await database.db.select().from(outbox).orderBy(asc(outbox.id)))
            .map((row) => row.payload as GrantEvent)
            .filter((e) => e.record?.user_id === user.id && e.record?.source_id === sourceId),
        ),
      )
    ).map((events) => events.at(-1));
    for (const event of grants) {
      expect(event).toMatchObject({ type: 'grant.revoked', status: 'revoked' });
    }

    const unpins = await unpinJobsNaming(source.hash);
    expect(unpins.map((job) => job.cids)).toEqual([[source.hash, 'bafkreireleasedprivateblock']]);

    // Gone for every source command, its owner's and root's too.
    for (const who of [owner, root, released.user]) {
      expect(await vaultErrorOf(master.grants.getSource(who, sourceId))).toMatchObject({
        kind: 'notFound',
      });
    }
    expect(
      await vaultErrorOf(master.downloads.create(released.user, { source_id: sourceId })),
    ).toMatchObject({ kind: 'notFound' });
    expect(await vaultErrorOf(master.grants.list(owner, sourceId))).toMatchObject({
      kind: 'notFound',
    });
    expect(await vaultErrorOf(master.sources.delete(owner, sourceId))).toMatchObject({
      kind: 'notFound',
    });
    expect(await unpinJobsNaming(source.hash)).toHaveLength(1);

    // Its tasks cannot be tried again.
    expect(
      await vaultErrorOf(
        master.downloads.update(waiting.user, { id: waiting.download.id, status: 0 }),
      ),
    ).toMatchObject({
      kind: 'conflict',
      message: `download task ${waiting.download.id} cannot be retried: ${reason}`,
    });
    expect(
      await vaultErrorOf(master.reports.reportPrivate(owner, { id: waiting.privateId, status: 0 })),
    ).toMatchObject({ kind: 'conflict' });
  });

  it('a source deleted while its upload runs: the upload ends at 9, nothing to unpin', async () => {
    const owner = newUser('owner');
    const task = await master.uploads.create(owner, {
      series_id: 1,
      uuid: `uuid-del-${++users}`,
      source_name: 'ep1.mov',
    });
    await master.reports.reportUpload(owner, { id: task.id, status: 1, percent: 30 });
    const before = (await eventsOf<UnpinJob>(AssetJobSubjects.unpin)).length;
    const { source } = await master.sources.delete(owner, task.source_id);
    expect(source).toMatchObject({ status: 9, hash: '' });
    const events = await eventsOf<UploadTaskEvent>(EventSubjects.uploadTask(task.id));
    expect(events.at(-1)).toMatchObject({
      previous_status: 1,
      status: 9,
      record: { reason: `source ${task.source_id} was deleted` },
    });
    expect(await eventsOf<UnpinJob>(AssetJobSubjects.unpin)).toHaveLength(before);
    expect(
      await vaultErrorOf(master.reports.reportUpload(owner, { id: task.id, status: 0 })),
    ).toMatchObject({ kind: 'conflict' });
  });
});
