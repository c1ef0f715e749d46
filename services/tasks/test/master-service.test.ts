import { describeOnDatabases, type TestDatabase } from '@media-vault/test-harness/databases';
import {
  CommandSubjects,
  EventSubjects,
  JobSubjects,
  type AuditEvent,
  type DownloadTaskEvent,
  type FetchJob,
  type GrantEvent,
  type PrivateTaskEvent,
  type ReleaseJob,
  type SealJob,
  type UploadTaskEvent,
} from '@media-vault/contracts';
import { sendCommand } from '@media-vault/service-kit';
import {
  connectAs,
  natsEnv,
  principalVerifyEnv,
  startNats,
  testSigner,
  type StartedNats,
} from '@media-vault/test-harness';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadTasksConfig } from '../src/config.js';
import { startTasksService, type TasksService } from '../src/tasks-service.js';
import {
  jobCount,
  principal,
  readJobs,
  readSubject,
  registration,
  rootPrincipal,
  subjectCount,
  waitFor,
} from './helpers.js';

// Each block runs its own nats-server: task ids start at 1 in every database, so two services
// sharing one EVENTS stream would publish on the same subjects. It also keeps this file's tasks
// service out of the queue group that other test files serve on the shared server.
describeOnDatabases('film master commands on $driver, over NATS', (backend) => {
  const { driver } = backend;
  let nats: StartedNats;
  let service: TasksService;
  let nc: NatsConnection;
  let database: TestDatabase | undefined;
  const owner = principal(`owner-${driver}`);
  const licensee = principal(`licensee-${driver}`);
  const root = rootPrincipal(`root-${driver}`);
  const send = <S extends Parameters<typeof sendCommand>[1]>(
    subject: S,
    body: Parameters<typeof sendCommand<S>>[2],
    as = owner,
  ) => sendCommand(nc, subject, body, { principal: as, signer: testSigner });
  const eventually = (what: string, subject: string, count: number) =>
    waitFor(what, async () => ((await subjectCount(nc, subject)) >= count ? true : undefined));

  beforeAll(async () => {
    nats = await startNats();
    const env: Record<string, string> = {
      ...(await natsEnv(nats, { kind: 'tasks' })),
      ...principalVerifyEnv(),
      HEALTH_PORT: '0',
      LOG_LEVEL: 'silent',
    };
    database = await backend.create('tasks_master_svc');
    Object.assign(env, database.env);
    service = await startTasksService(loadTasksConfig(env));
    nc = await connectAs(nats);
  });

  afterAll(async () => {
    await nc?.drain();
    await service?.close();
    await nats?.stop();
    await database?.remove();
  });

  it('runs the three flows, each change published once on EVENTS and each job once on JOBS', async () => {
    const sealer = await send(CommandSubjects.agentRegister, registration());
    const fetcher = await send(CommandSubjects.agentRegister, registration(), licensee);

    const upload = await send(CommandSubjects.uploadCreate, {
      series_id: 233,
      uuid: '283509238',
      source_name: '仙剑奇侠传-电视版（第21集）',
      path: 'xianjian/ep21.mov',
      agent: sealer.id,
    });
    for (const [status, percent] of [
      [1, 50],
      [2, 50],
      [3, 10],
    ] as const) {
      await send(CommandSubjects.uploadUpdate, { id: upload.id, status, percent });
    }
    // A repeated report is answered but is not a change.
    await send(CommandSubjects.uploadUpdate, { id: upload.id, status: 3, percent: 10 });
    const done = await send(CommandSubjects.uploadUpdate, {
      id: upload.id,
      status: 8,
      percent: 100,
      name: 'ep21.pub',
      file: '仙剑奇侠传',
      hash: 'QmTxvr8VXe37apeBjyPeAGZi5JiRSbwn8mr2DuuqR517Lo',
      size: 102400,
      ip: 'QmdUVasivefLGRkT4R9mzcp82Qoc47UBb5G9bHXdZkW3RP',
    });
    expect(done).toMatchObject({
      status: 8,
      hash: 'QmTxvr8VXe37apeBjyPeAGZi5JiRSbwn8mr2DuuqR517Lo',
    });

    const grant = await send(CommandSubjects.grantCreate, {
      source_id: upload.source_id,
      user_id: licensee.id,
    });
    const requests = Array.from({ length: 10 }, () =>
      send(
        CommandSubjects.downloadCreate,
        { source_id: upload.source_id, agent: fetcher.id },
        licensee,
      ),
    );
    const downloads = await Promise.all(requests);
    const download = downloads[0]!;
    expect(new Set(downloads.map((d) => d.id))).toEqual(new Set([download.id]));

    const [privateTask] = await send(CommandSubjects.privateList, {});
    expect(privateTask).toMatchObject({ source_id: upload.source_id, status: 0 });
    await send(CommandSubjects.privateUpdate, { id: privateTask!.id, status: 3, percent: 30 });
    await send(CommandSubjects.privateUpdate, {
      id: privateTask!.id,
      status: 8,
      percent: 100,
      hash: 'QmPrivateBlock',
      name: 'ep21.key',
      size: 4096,
    });
    for (const status of [4, 5, 6, 7, 8]) {
      await send(
        CommandSubjects.downloadUpdate,
        { id: download.id, status, percent: 100 },
        licensee,
      );
    }
    const finished = await send(CommandSubjects.downloadGet, { id: download.id }, licensee);
    expect(finished).toMatchObject({
      status: 8,
      private_status: 8,
      private_name: 'ep21.key',
      private_size: 4096,
      private_hash: 'QmPrivateBlock',
    });
    expect(await send(CommandSubjects.downloadGet, { id: download.id }, root)).toEqual(finished);

    const uploadSubject = EventSubjects.uploadTask(upload.id);
    const downloadSubject = EventSubjects.downloadTask(download.id);
    const privateSubject = EventSubjects.privateTask(privateTask!.id);
    // created + 4 changes; created + 2 mirrored private changes + 5 own; created + 2.
    await eventually('the upload events', uploadSubject, 5);
    await eventually('the download events', downloadSubject, 8);
    await eventually('the private events', privateSubject, 3);
    await eventually('the grant event', EventSubjects.grant(grant.id), 1);

    const uploadEvents = (await readSubject(nc, uploadSubject)).map((m) =>
      m.json<UploadTaskEvent>(),
    );
    expect(uploadEvents.map((e) => [e.previous_status, e.status])).toEqual([
      [null, 0],
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 8],
    ]);
    expect(uploadEvents.at(-1)?.record).toMatchObject({
      ...done,
      user_id: owner.id,
      sealed_by: sealer.id,
    });
    const downloadMessages = await readSubject(nc, downloadSubject);
    const downloadEvents = downloadMessages.map((m) => m.json<DownloadTaskEvent>());
    expect(
      downloadEvents.map((e) => [e.previous_status, e.status, e.record.private_status]),
    ).toEqual([
      [null, 0, 0],
      [0, 0, 3],
      [0, 0, 8],
      [0, 4, 8],
      [4, 5, 8],
      [5, 6, 8],
      [6, 7, 8],
      [7, 8, 8],
    ]);
    expect(downloadMessages.map((m) => m.headers?.get('Nats-Msg-Id'))).toEqual(
      downloadEvents.map((e) => e.id),
    );
    expect(downloadEvents.at(-1)?.record).toMatchObject({ ...finished, agent: fetcher.id });
    const privateEvents = (await readSubject(nc, privateSubject)).map((m) =>
      m.json<PrivateTaskEvent>(),
    );
    expect(privateEvents.map((e) => [e.type, e.previous_status, e.status])).toEqual([
      ['private.created', null, 0],
      ['private.updated', 0, 3],
      ['private.updated', 3, 8],
    ]);
    const [grantEvent] = (await readSubject(nc, EventSubjects.grant(grant.id))).map((m) =>
      m.json<GrantEvent>(),
    );
    expect(grantEvent).toMatchObject({ type: 'grant.created', status: 'active', record: grant });
    // The grant is also the first entry of the source's audit log, published once.
    await eventually('the audit event', EventSubjects.audit(upload.source_id), 1);
    const [auditEvent] = (await readSubject(nc, EventSubjects.audit(upload.source_id))).map((m) =>
      m.json<AuditEvent>(),
    );
    expect(auditEvent).toMatchObject({
      type: 'audit.appended',
      source_owner: owner.id,
      record: { seq: 1, kind: 'grant', source_id: upload.source_id, data: grant },
    });
    expect(await send(CommandSubjects.auditList, { source_id: upload.source_id })).toEqual([
      auditEvent!.record,
    ]);

    // Exactly once: nothing more arrives once the relay has drained the outbox.
    await waitFor('an empty outbox', async () => (await service.runtime.relay.pending()) === 0);
    expect(await subjectCount(nc, 'events.tasks.upload.>')).toBe(5);
    expect(await subjectCount(nc, 'events.tasks.download.>')).toBe(8);
    expect(await subjectCount(nc, 'events.tasks.private.>')).toBe(3);
    expect(await subjectCount(nc, 'events.tasks.audit.>')).toBe(1);

    // The agents' three jobs, and the platform's pins of the two blocks that reached 8.
    await waitFor('the three agent jobs', async () =>
      (await jobCount(nc, 'jobs.ipfs.*.*')) === 3 ? true : undefined,
    );
    await waitFor('the two pins', async () =>
      (await jobCount(nc, JobSubjects.pin)) === 2 ? true : undefined,
    );
    const [seal] = await readJobs<SealJob>(nc, JobSubjects.seal(sealer.id));
    expect(seal?.job).toEqual({
      id: seal?.msgId,
      agent: sealer.id,
      userId: owner.id,
      taskId: upload.id,
      sourceId: upload.source_id,
      uuid: '283509238',
      sourceName: '仙剑奇侠传-电视版（第21集）',
      path: 'xianjian/ep21.mov',
    });
    const [fetch] = await readJobs<FetchJob>(nc, JobSubjects.fetch(fetcher.id));
    expect(fetch?.job).toMatchObject({
      downloadTaskId: download.id,
      privateTaskId: privateTask!.id,
      publicBlock: { hash: done.hash, name: 'ep21.pub', size: 102400 },
    });
    const [release] = await readJobs<ReleaseJob>(nc, JobSubjects.release(sealer.id));
    expect(release?.job).toMatchObject({
      agent: sealer.id,
      privateTaskId: privateTask!.id,
      publicBlockCid: done.hash,
      recipient: { agent: fetcher.id, publicKey: fetcher.public_key, userId: licensee.id },
    });
    expect(release?.job).not.toHaveProperty('grant');
  });

  it('maps refusals to error kinds on the bus', async () => {
    const upload = await send(CommandSubjects.uploadCreate, {
      series_id: 1,
      uuid: 'u',
      source_name: 's',
    });
    const refusal = (work: Promise<unknown>) =>
      work.then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(
      await refusal(send(CommandSubjects.uploadUpdate, { id: upload.id, status: 5 })),
    ).toMatchObject({
      kind: 'conflict',
      message: expect.stringMatching(`^upload task ${upload.id} cannot go from 0 to 5`),
    });
    expect(
      await refusal(send(CommandSubjects.uploadUpdate, { id: upload.id, status: 1, percent: 101 })),
    ).toMatchObject({ kind: 'badRequest', message: expect.stringMatching(/^percent: /) });
    expect(
      await refusal(send(CommandSubjects.uploadUpdate, { id: upload.id, status: 1 }, licensee)),
    ).toMatchObject({
      kind: 'notFound',
    });
    expect(
      await refusal(
        send(CommandSubjects.downloadCreate, { source_id: upload.source_id }, licensee),
      ),
    ).toMatchObject({ kind: 'notFound', message: `source ${upload.source_id} not found` });
    expect(
      await refusal(send(CommandSubjects.sourceGet, { source_id: upload.source_id }, licensee)),
    ).toMatchObject({
      kind: 'notFound',
    });
    expect(await send(CommandSubjects.sourceGet, { source_id: upload.source_id })).toMatchObject({
      id: upload.source_id,
      user_id: owner.id,
      status: 0,
      hash: '',
    });
  });
});
