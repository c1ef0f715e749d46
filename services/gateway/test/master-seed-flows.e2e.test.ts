import { describeOnDatabases } from '@media-vault/test-harness/databases';
/**
 * The three flows of seed 000 as its desktop client runs them: `Token` header, FormData
 * parameters, the seed's paths (the upload path's `pbulic`, the private PATCH without a slash).
 */
import {
  EventSubjects,
  type DownloadTaskEvent,
  type PrivateTaskEvent,
  type UploadTaskEvent,
} from '@media-vault/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  newUploadTaskReply,
  readSubject,
  startMasterStack,
  totalCount,
  waitFor,
  type HttpReply,
  type MasterStack,
} from './helpers.js';

const run = Date.now().toString(36);

type Fields = { [key: string]: string | number };
type Envelope<T> = { data: T; message: string; meta?: unknown };

describeOnDatabases('seed 000 client flows, tasks on $driver', (backend) => {
  const { driver } = backend;
  let stack: MasterStack;
  const studio = { id: `studio-${driver}-${run}`, token: '' };
  const licensee = { id: `licensee-${driver}-${run}`, token: '' };

  /** What the seed client sends: the Token header and, when there are parameters, FormData. */
  const client =
    (user: { token: string }) =>
    async (method: string, path: string, form?: Fields): Promise<Envelope<Fields>> => {
      const res: HttpReply = await stack.call(method, path, {
        headers: { Token: user.token },
        ...(form ? { fields: form, encoding: 'multipart' as const } : {}),
      });
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(200);
      return res.body as Envelope<Fields>;
    };

  beforeAll(async () => {
    stack = await startMasterStack({ label: `master_seed_${driver}`, database: backend });
    studio.token = await stack.token(studio.id);
    licensee.token = await stack.token(licensee.id);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('upload, download and private upload, with their events exactly once', async () => {
    const asStudio = client(studio);
    const asLicensee = client(licensee);

    // 1. Upload: the client loads the user, creates the task, reports chunking, encrypting,
    //    uploading (with the IPFS data) and done.
    expect((await asStudio('GET', '/api/v1/users/me/')).data).toMatchObject({ id: studio.id });
    const created = await asStudio('POST', '/api/v1/tasks/upload/pbulic/', {
      series_id: 233,
      uuid: '283509238',
      source_name: '仙剑奇侠传-电视版（第21集）',
    });
    expect(created).toEqual(
      newUploadTaskReply({
        series_id: 233,
        uuid: '283509238',
        source_name: '仙剑奇侠传-电视版（第21集）',
      }),
    );
    const uploadId = created.data.id as number;
    const block = {
      name: '仙剑奇侠传-电视版（第21集）',
      file: '仙剑奇侠传',
      ip: 'QmdUVasivefLGRkT4R9mzcp82Qoc47UBb5G9bHXdZkW3RP',
    };
    const uploadPath = `/api/v1/tasks/upload/pbulic/${uploadId}/`;
    await asStudio('PATCH', uploadPath, { status: 1, percent: 0, ...block, hash: '', size: 0 });
    await asStudio('PATCH', uploadPath, { status: 1, percent: 100, ...block, hash: '', size: 0 });
    await asStudio('PATCH', uploadPath, { status: 2, percent: 50, ...block, hash: '', size: 0 });
    await asStudio('PATCH', uploadPath, {
      status: 3,
      ...block,
      hash: 'QmTxvr8VXe37apeBjyPeAGZi5JiRSbwn8mr2DuuqR517Lo',
      size: 102400,
    });
    const uploaded = await asStudio('PATCH', uploadPath, {
      status: 8,
      percent: 100,
      ...block,
      hash: 'QmTxvr8VXe37apeBjyPeAGZi5JiRSbwn8mr2DuuqR517Lo',
      size: 102400,
    });
    expect(uploaded.data).toMatchObject({ status: 8, percent: 100, size: 102400 });
    // "调用更新上载公有块状态后返回数据中的data字段中的source_id用于下载"
    const sourceId = uploaded.data.source_id as number;

    // The studio authorises the licensee (the web side of the platform).
    await asStudio('POST', `/api/v1/sources/${sourceId}/grants/`, { user_id: licensee.id });

    // 2. Download: user, the source's IPFS hash, the task (FormData on GET, as documented).
    expect((await asLicensee('GET', '/api/v1/users/me/')).data).toMatchObject({ id: licensee.id });
    const source = await asLicensee('GET', `/api/v1/sources/${sourceId}/`);
    expect(source.data.hash).toBe('QmTxvr8VXe37apeBjyPeAGZi5JiRSbwn8mr2DuuqR517Lo');
    const opened = await asLicensee('GET', '/api/v1/tasks/download/', { source_id: sourceId });
    expect(opened.data).toMatchObject({
      source_id: sourceId,
      status: 0,
      hash: source.data.hash,
      private_status: 0,
      private_hash: '',
    });
    const downloadId = opened.data.id as number;
    const downloadPath = `/api/v1/tasks/download/${downloadId}/`;
    for (const percent of [0, 40, 100]) {
      await asLicensee('PATCH', downloadPath, { status: 4, percent });
    }
    await asLicensee('PATCH', downloadPath, { status: 5 });

    // 3. Private upload, while the licensee polls for the private block's hash.
    const polling = waitFor(
      'the private block hash on the download task',
      async () => {
        const detail = await asLicensee('GET', downloadPath);
        return detail.data.private_hash ? detail.data : undefined;
      },
      { intervalMs: 50 },
    );
    const list = await asStudio('GET', '/api/v1/tasks/upload/private/');
    expect(list.meta).toEqual({
      status_choices: [
        { code: 0, name: '未开始' },
        { code: 3, name: '上载中' },
        { code: 8, name: '已完成' },
        { code: 9, name: '出现错误' },
      ],
    });
    const owed = (list.data as unknown as Fields[]).filter((t) => t.uuid === '283509238');
    expect(owed).toHaveLength(1);
    const privatePath = `/api/v1/tasks/upload/private/${owed[0]!.id}`;
    const privateBlock = { name: 'ep21.private', file: '仙剑奇侠传', ip: block.ip };
    await asStudio('PATCH', privatePath, {
      status: 3,
      percent: 30,
      ...privateBlock,
      hash: '',
      size: 0,
    });
    await asStudio('PATCH', privatePath, {
      status: 8,
      percent: 100,
      ...privateBlock,
      hash: 'QmPrivateBlockOfEp21',
      size: 4096,
    });
    const withKey = await polling;
    expect(withKey).toMatchObject({
      private_status: 8,
      private_name: 'ep21.private',
      private_size: 4096,
      private_hash: 'QmPrivateBlockOfEp21',
    });

    // The licensee fetches the key, composes and is done.
    await asLicensee('PATCH', downloadPath, { status: 6, percent: 100 });
    await asLicensee('PATCH', downloadPath, { status: 7, percent: 50 });
    const finished = await asLicensee('PATCH', downloadPath, { status: 8, percent: 100 });
    expect(finished.data).toMatchObject({ status: 8, percent: 100, private_status: 8 });

    // Events: one per change, in order, each with its previous and new status.
    await stack.flushEvents();
    const statuses = async <E extends { previous_status: number | null; status: number }>(
      subject: string,
    ) => (await readSubject(stack.nc, subject)).map((m) => m.json<E>());
    const uploadEvents = await statuses<UploadTaskEvent>(EventSubjects.uploadTask(uploadId));
    expect(uploadEvents.map((e) => [e.previous_status, e.status, e.record.percent])).toEqual([
      [null, 0, 0],
      [0, 1, 0],
      [1, 1, 100],
      [1, 2, 50],
      [2, 3, 0],
      [3, 8, 100],
    ]);
    const downloadEvents = await statuses<DownloadTaskEvent>(
      EventSubjects.downloadTask(downloadId),
    );
    expect(
      downloadEvents.map((e) => [
        e.previous_status,
        e.status,
        e.record.percent,
        e.record.private_status,
      ]),
    ).toEqual([
      [null, 0, 0, 0],
      [0, 4, 0, 0],
      [4, 4, 40, 0],
      [4, 4, 100, 0],
      [4, 5, 0, 0],
      [5, 5, 0, 3],
      [5, 5, 0, 8],
      [5, 6, 100, 8],
      [6, 7, 50, 8],
      [7, 8, 100, 8],
    ]);
    expect(downloadEvents.at(-1)?.record).toMatchObject({ ...finished.data, user_id: licensee.id });
    const privateEvents = await statuses<PrivateTaskEvent>(
      EventSubjects.privateTask(owed[0]!.id as number),
    );
    expect(privateEvents.map((e) => [e.previous_status, e.status])).toEqual([
      [null, 0],
      [0, 3],
      [3, 8],
    ]);
    expect(
      new Set([...uploadEvents, ...downloadEvents, ...privateEvents].map((e) => e.id)).size,
    ).toBe(19);
    expect(await totalCount(stack.nc, 'events.tasks.upload.>')).toBe(6);
    expect(await totalCount(stack.nc, 'events.tasks.download.>')).toBe(10);
    expect(await totalCount(stack.nc, 'events.tasks.private.>')).toBe(3);
    expect(await totalCount(stack.nc, 'events.tasks.grant.>')).toBe(1);
  });
});
