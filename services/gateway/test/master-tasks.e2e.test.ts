import {
  EventSubjects,
  JobSubjects,
  type DownloadTask,
  type FetchJob,
  type Grant,
  type MasterSource,
  type MyTasks,
  type PrivateUploadTask,
  type ReleaseJob,
  type SealJob,
  type UploadTask,
} from '@media-vault/contracts';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BODY_ENCODINGS,
  newUploadTaskReply,
  SEED_TIME,
  jobCount,
  readJobs,
  startMasterStack,
  subjectCounts,
  totalCount,
  waitFor,
  type MasterStack,
} from './helpers.js';

const run = Date.now().toString(36);
const HOUR = 3_600_000;
/** The record fields of the seed's response examples, in the seed's order. */
const SEED_TASK_KEYS = [
  'id',
  'status',
  'percent',
  'series_id',
  'source_id',
  'source_name',
  'uuid',
  'ip',
  'file',
  'name',
  'size',
  'hash',
  'created_at',
];
const SEED_DOWNLOAD_KEYS = [
  ...SEED_TASK_KEYS,
  'private_status',
  'private_name',
  'private_size',
  'private_hash',
];
const PUBLIC_HASH = 'QmTxvr8VXe37apeBjyPeAGZi5JiRSbwn8mr2DuuqR517Lo';

type Envelope<T> = { data: T; message: string };
type Slash = { slash: boolean };
const slashes: Slash[] = [{ slash: true }, { slash: false }];
const withSlash = (path: string, { slash }: Slash) => (slash ? `${path}/` : path);
const cases = BODY_ENCODINGS.flatMap((encoding) => slashes.map((s) => ({ encoding, ...s })));

let users = 0;
const userId = (label: string) => `${label}-${run}-${++users}`;

describe('film master task API (seed 000) over HTTP', () => {
  let stack: MasterStack;
  let owner: string;
  let licensee: string;
  let intruder: string;
  let root: string;
  const ids = {
    owner: userId('owner'),
    licensee: userId('licensee'),
    intruder: userId('intruder'),
  };

  const ok = <T>(res: { status: number; body: unknown }): T => {
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = res.body as Envelope<T>;
    expect(body.message).toBe('');
    return body.data;
  };
  const createUpload = async (token = owner, extra: Record<string, string> = {}) =>
    ok<UploadTask>(
      await stack.call('POST', '/api/v1/tasks/upload/pbulic/', {
        token,
        encoding: 'multipart',
        fields: {
          series_id: 233,
          uuid: `uuid-${randomBytes(4).toString('hex')}`,
          source_name: '仙剑奇侠传-电视版（第21集）',
          ...extra,
        },
      }),
    );
  /** A source whose public block is uploaded, so it can be downloaded. */
  const readySource = async (token = owner, extra: Record<string, string> = {}) => {
    const task = await createUpload(token, extra);
    ok(
      await stack.call('PATCH', `/api/v1/tasks/upload/pbulic/${task.id}/`, {
        token,
        encoding: 'multipart',
        fields: {
          status: 8,
          percent: 100,
          name: 'ep21.pub',
          file: '仙剑奇侠传',
          hash: PUBLIC_HASH,
          size: 102400,
          ip: 'QmUploader',
        },
      }),
    );
    return task;
  };
  const grant = async (sourceId: number, user: string, window: Record<string, string> = {}) =>
    ok<Grant>(
      await stack.call('POST', `/api/v1/sources/${sourceId}/grants/`, {
        token: owner,
        fields: { user_id: user, ...window },
      }),
    );
  const openDownload = async (sourceId: number, token = licensee) =>
    ok<DownloadTask>(
      await stack.call('GET', `/api/v1/tasks/download/?source_id=${sourceId}`, { token }),
    );
  const privateTaskOf = async (sourceId: number, token = owner) => {
    const list = ok<PrivateUploadTask[]>(
      await stack.call('GET', '/api/v1/tasks/upload/private/', { token }),
    );
    return list.find((t) => t.source_id === sourceId)!;
  };
  const snapshot = async () => {
    const tables = ['sources', 'upload_tasks', 'download_tasks', 'private_tasks', 'grants'];
    const rows: Record<string, unknown[]> = {};
    for (const table of tables) {
      rows[table] = (await stack.db!.query(`select * from ${table} order by id`)).rows;
    }
    return rows;
  };

  beforeAll(async () => {
    stack = await startMasterStack({ label: 'master_http' });
    owner = await stack.token(ids.owner);
    licensee = await stack.token(ids.licensee);
    intruder = await stack.token(ids.intruder);
    root = await stack.token(userId('root'), [1]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  describe('every route, in every body encoding, with and without the trailing slash', () => {
    it.each(cases)('POST /api/v1/tasks/upload/pbulic/ as $encoding (slash: $slash)', async (c) => {
      const res = await stack.call<Envelope<UploadTask>>(
        'POST',
        withSlash('/api/v1/tasks/upload/pbulic', c),
        {
          token: owner,
          encoding: c.encoding,
          fields: { series_id: 233, uuid: '283509238', source_name: '仙剑奇侠传-电视版（第21集）' },
        },
      );
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['data', 'message']);
      expect(Object.keys(res.body.data)).toEqual(SEED_TASK_KEYS);
      expect(res.body).toEqual(
        newUploadTaskReply({
          series_id: 233,
          uuid: '283509238',
          source_name: '仙剑奇侠传-电视版（第21集）',
        }),
      );
    });

    it.each(cases)(
      'PATCH /api/v1/tasks/upload/pbulic/{id}/ as $encoding (slash: $slash)',
      async (c) => {
        const task = await createUpload();
        const res = await stack.call<Envelope<UploadTask>>(
          'PATCH',
          withSlash(`/api/v1/tasks/upload/pbulic/${task.id}`, c),
          {
            token: owner,
            encoding: c.encoding,
            fields: {
              status: 3,
              percent: 42,
              name: 'ep21.pub',
              file: '仙剑奇侠传',
              hash: PUBLIC_HASH,
              size: '102400.5',
              ip: 'QmdUVasivefLGRkT4R9mzcp82Qoc47UBb5G9bHXdZkW3RP',
            },
          },
        );
        expect(res.status).toBe(200);
        expect(Object.keys(res.body.data)).toEqual(SEED_TASK_KEYS);
        expect(res.body.data).toEqual({
          ...task,
          status: 3,
          percent: 42,
          name: 'ep21.pub',
          file: '仙剑奇侠传',
          hash: PUBLIC_HASH,
          size: 102400.5,
          ip: 'QmdUVasivefLGRkT4R9mzcp82Qoc47UBb5G9bHXdZkW3RP',
        });
      },
    );

    it.each([
      { label: 'the query', slash: true },
      { label: 'the query', slash: false },
      ...BODY_ENCODINGS.map((encoding) => ({ label: `a ${encoding} body`, encoding, slash: true })),
    ])('GET /api/v1/tasks/download/ with source_id in $label (slash: $slash)', async (c) => {
      const source = await readySource();
      const user = userId('reader');
      await grant(source.source_id, user);
      const token = await stack.token(user);
      const path = withSlash('/api/v1/tasks/download', c);
      const res =
        'encoding' in c
          ? await stack.call<Envelope<DownloadTask>>('GET', path, {
              token,
              encoding: c.encoding,
              fields: { source_id: source.source_id },
            })
          : await stack.call<Envelope<DownloadTask>>(
              'GET',
              `${path}?source_id=${source.source_id}`,
              {
                token,
              },
            );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(Object.keys(res.body.data)).toEqual(SEED_DOWNLOAD_KEYS);
      expect(res.body).toEqual({
        data: {
          id: expect.any(Number),
          status: 0,
          percent: 0,
          series_id: 233,
          source_id: source.source_id,
          source_name: '仙剑奇侠传-电视版（第21集）',
          uuid: source.uuid,
          ip: 'QmUploader',
          file: '仙剑奇侠传',
          name: 'ep21.pub',
          size: 102400,
          hash: PUBLIC_HASH,
          created_at: expect.stringMatching(SEED_TIME),
          private_status: 0,
          private_name: '',
          private_size: 0,
          private_hash: '',
        },
        message: '',
      });
    });

    it.each(cases)('PATCH /api/v1/tasks/download/{id}/ as $encoding (slash: $slash)', async (c) => {
      const source = await readySource();
      await grant(source.source_id, ids.licensee);
      const download = await openDownload(source.source_id);
      const res = await stack.call<Envelope<DownloadTask>>(
        'PATCH',
        withSlash(`/api/v1/tasks/download/${download.id}`, c),
        { token: licensee, encoding: c.encoding, fields: { status: 4, percent: 12 } },
      );
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.data)).toEqual(SEED_DOWNLOAD_KEYS);
      expect(res.body.data).toEqual({ ...download, status: 4, percent: 12 });
      // Finished, so the next test's download of another source is not in its way either way.
      ok(
        await stack.call('PATCH', `/api/v1/tasks/download/${download.id}/`, {
          token: licensee,
          fields: { status: 9 },
        }),
      );
    });

    it.each(slashes)('GET /api/v1/tasks/download/{id}/ (slash: $slash)', async (c) => {
      const source = await readySource();
      await grant(source.source_id, ids.licensee);
      const download = await openDownload(source.source_id);
      const res = await stack.call<Envelope<DownloadTask>>(
        'GET',
        withSlash(`/api/v1/tasks/download/${download.id}`, c),
        { token: licensee },
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: download, message: '' });
    });

    it.each(slashes)('GET /api/v1/tasks/upload/private/ (slash: $slash)', async (c) => {
      const source = await readySource();
      await grant(source.source_id, ids.licensee);
      await openDownload(source.source_id);
      const res = await stack.call<Envelope<PrivateUploadTask[]> & { meta: unknown }>(
        'GET',
        withSlash('/api/v1/tasks/upload/private', c),
        { token: owner },
      );
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['data', 'message', 'meta']);
      expect(res.body.message).toBe('');
      expect(res.body.meta).toEqual({
        status_choices: [
          { code: 0, name: '未开始' },
          { code: 3, name: '上载中' },
          { code: 8, name: '已完成' },
          { code: 9, name: '出现错误' },
        ],
      });
      const mine = res.body.data.find((t) => t.source_id === source.source_id)!;
      expect(Object.keys(mine)).toEqual(SEED_TASK_KEYS);
      expect(mine).toMatchObject({ status: 0, percent: 0, hash: '', uuid: source.uuid, size: 0 });
      // The licensee owes no private blocks.
      const theirs = await stack.call<Envelope<PrivateUploadTask[]>>(
        'GET',
        '/api/v1/tasks/upload/private/',
        { token: licensee },
      );
      expect(theirs.body.data).toEqual([]);
    });

    it.each(cases)(
      'PATCH /api/v1/tasks/upload/private/{id} as $encoding (slash: $slash)',
      async (c) => {
        const source = await readySource();
        await grant(source.source_id, ids.licensee);
        const download = await openDownload(source.source_id);
        const task = await privateTaskOf(source.source_id);
        const path = withSlash(`/api/v1/tasks/upload/private/${task.id}`, c);
        const uploading = await stack.call<Envelope<PrivateUploadTask>>('PATCH', path, {
          token: owner,
          encoding: c.encoding,
          fields: { status: 3, percent: 50 },
        });
        expect(uploading.status).toBe(200);
        expect(uploading.body.data).toEqual({ ...task, status: 3, percent: 50 });
        const done = await stack.call<Envelope<PrivateUploadTask>>('PATCH', path, {
          token: owner,
          encoding: c.encoding,
          fields: {
            status: 8,
            percent: 100,
            name: 'ep21.key',
            file: '仙剑奇侠传',
            hash: 'QmPrivateBlock',
            size: 2048,
            ip: 'QmOwner',
          },
        });
        expect(done.status).toBe(200);
        expect(Object.keys(done.body.data)).toEqual(SEED_TASK_KEYS);
        expect(done.body.data).toMatchObject({ status: 8, hash: 'QmPrivateBlock', size: 2048 });
        const detail = await stack.call<Envelope<DownloadTask>>(
          'GET',
          `/api/v1/tasks/download/${download.id}/`,
          { token: licensee },
        );
        expect(detail.body.data).toEqual({
          ...download,
          private_status: 8,
          private_name: 'ep21.key',
          private_size: 2048,
          private_hash: 'QmPrivateBlock',
        });
      },
    );

    it.each(slashes)('GET /api/v1/sources/{source_id}/ (slash: $slash)', async (c) => {
      const source = await readySource();
      const res = await stack.call<Envelope<MasterSource>>(
        'GET',
        withSlash(`/api/v1/sources/${source.source_id}`, c),
        { token: owner },
      );
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({
        id: source.source_id,
        source_id: source.source_id,
        series_id: 233,
        uuid: source.uuid,
        source_name: '仙剑奇侠传-电视版（第21集）',
        user_id: ids.owner,
        upload_id: source.id,
        status: 8,
        percent: 100,
        ip: 'QmUploader',
        file: '仙剑奇侠传',
        name: 'ep21.pub',
        size: 102400,
        hash: PUBLIC_HASH,
        sealed_by: '',
        created_at: expect.stringMatching(SEED_TIME),
      });
    });

    it.each(cases)(
      'POST, GET and DELETE /api/v1/sources/{id}/grants/ as $encoding (slash: $slash)',
      async (c) => {
        const source = await readySource();
        const user = userId('grantee');
        const notBefore = new Date(Date.now() - HOUR).toISOString();
        const created = await stack.call<Envelope<Grant>>(
          'POST',
          withSlash(`/api/v1/sources/${source.source_id}/grants`, c),
          {
            token: owner,
            encoding: c.encoding,
            fields: { user_id: user, not_before: notBefore, not_after: '2999-12-31T00:00:00Z' },
          },
        );
        expect(created.status).toBe(200);
        expect(created.body.data).toEqual({
          id: expect.any(Number),
          source_id: source.source_id,
          user_id: user,
          granted_by: ids.owner,
          not_before: notBefore,
          not_after: '2999-12-31T00:00:00.000Z',
          status: 'active',
          valid: true,
          signed_grant: null,
          signed_revocation: null,
          created_at: expect.stringMatching(SEED_TIME),
          updated_at: expect.stringMatching(SEED_TIME),
        });
        const list = await stack.call<Envelope<Grant[]>>(
          'GET',
          withSlash(`/api/v1/sources/${source.source_id}/grants`, c),
          { token: owner },
        );
        expect(list.body.data).toEqual([created.body.data]);
        const revoked = await stack.call<Envelope<Grant>>(
          'DELETE',
          withSlash(`/api/v1/sources/${source.source_id}/grants/${user}`, c),
          { token: owner },
        );
        expect(revoked.status).toBe(200);
        expect(revoked.body.data).toMatchObject({
          id: created.body.data.id,
          status: 'revoked',
          valid: false,
        });
      },
    );

    // Seed 000's server (Django REST framework) ignores query and form fields it does not know.
    it.each([
      { label: 'a cache-buster `_` in the query', encoding: undefined },
      { label: 'an unknown multipart field', encoding: 'multipart' as const },
      { label: 'an unknown url-encoded field', encoding: 'form' as const },
    ])('GET /api/v1/tasks/download/ ignores $label', async (c) => {
      const source = await readySource();
      const user = userId('ignorer');
      await grant(source.source_id, user);
      const token = await stack.token(user);
      const res =
        c.encoding === undefined
          ? await stack.call<Envelope<DownloadTask>>(
              'GET',
              `/api/v1/tasks/download/?source_id=${source.source_id}&_=1700000000000`,
              { token },
            )
          : await stack.call<Envelope<DownloadTask>>('GET', '/api/v1/tasks/download/', {
              token,
              encoding: c.encoding,
              fields: { source_id: source.source_id, foo: 'bar' },
            });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data).toMatchObject({ source_id: source.source_id, status: 0 });
    });

    it('GET /api/v1/tasks/download/ with a wrong or missing source_id stays a 400', async () => {
      const bad = await stack.call('GET', '/api/v1/tasks/download/?source_id=abc&_=1', {
        token: licensee,
      });
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ data: null, message: expect.stringMatching(/source_id/) });
      const missing = await stack.call('GET', '/api/v1/tasks/download/?_=1', { token: licensee });
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual({ data: null, message: expect.stringMatching(/source_id/) });
    });

    it.each([
      { encoding: 'form' as const },
      { encoding: 'multipart' as const },
      { encoding: 'json' as const },
    ])('PATCH upload ignores a $encoding body field it does not know', async ({ encoding }) => {
      const task = await createUpload();
      const res = await stack.call<Envelope<UploadTask>>(
        'PATCH',
        `/api/v1/tasks/upload/pbulic/${task.id}/`,
        { token: owner, encoding, fields: { status: 1, percent: 7, colour: 'red' } },
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data).toMatchObject({ status: 1, percent: 7 });
      expect(res.body.data).not.toHaveProperty('colour');
    });

    it('an empty percent or size in a form means "not given"', async () => {
      const task = await createUpload();
      const res = await stack.call<Envelope<UploadTask>>(
        'PATCH',
        `/api/v1/tasks/upload/pbulic/${task.id}/`,
        { token: owner, encoding: 'multipart', fields: { status: 1, percent: '', size: '' } },
      );
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ status: 1, percent: 0, size: 0 });
    });
  });

  describe('bad input is a 400 naming the field, and changes nothing', () => {
    it.each([
      ['percent over 100', { status: 1, percent: 101 }, 'body/percent must be <= 100'],
      ['a negative percent', { status: 1, percent: -1 }, 'body/percent must be >= 0'],
      ['a fractional percent', { status: 1, percent: '5.5' }, 'body/percent must be integer'],
      ['a status over 9', { status: 10 }, 'body/status must be <= 9'],
      ['no status', { percent: 5 }, "body must have required property 'status'"],
      ['a negative size', { status: 1, size: -5 }, 'body/size must be >= 0'],
    ])('PATCH upload with %s', async (_label, fields, message) => {
      const task = await createUpload();
      const before = await snapshot();
      const res = await stack.call('PATCH', `/api/v1/tasks/upload/pbulic/${task.id}/`, {
        token: owner,
        encoding: 'form',
        fields,
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ data: null, message });
      expect(await snapshot()).toEqual(before);
    });

    it.each([
      ['no series_id', { uuid: 'u', source_name: 's' }, /series_id/],
      [
        'a series_id that is not a number',
        { series_id: 'abc', uuid: 'u', source_name: 's' },
        /series_id/,
      ],
      ['an empty uuid', { series_id: 1, uuid: '', source_name: 's' }, /uuid/],
      [
        'an absolute path',
        { series_id: 1, uuid: 'u', source_name: 's', path: '/etc/x', agent: 'agent-x' },
        /path/,
      ],
      [
        'a path climbing out',
        { series_id: 1, uuid: 'u', source_name: 's', path: 'a/../../x', agent: 'agent-x' },
        /path/,
      ],
      [
        'path without agent',
        { series_id: 1, uuid: 'u', source_name: 's', path: 'a.mov' },
        /path and agent/,
      ],
      [
        'an agent that is not yours',
        { series_id: 1, uuid: 'u', source_name: 's', path: 'a.mov', agent: 'nobody-agent' },
        /agent: you have no agent/,
      ],
    ])('POST upload with %s', async (_label, fields, message) => {
      const before = await snapshot();
      const res = await stack.call<Envelope<null>>('POST', '/api/v1/tasks/upload/pbulic/', {
        token: owner,
        encoding: 'multipart',
        fields,
      });
      expect(res.status).toBe(400);
      expect(res.body.data).toBeNull();
      expect(res.body.message).toMatch(message);
      expect(await snapshot()).toEqual(before);
    });

    it('a non-numeric id or source_id', async () => {
      for (const [method, path] of [
        ['PATCH', '/api/v1/tasks/upload/pbulic/abc/'],
        ['GET', '/api/v1/tasks/download/abc/'],
        ['GET', '/api/v1/tasks/download/?source_id=abc'],
        ['GET', '/api/v1/tasks/download/'],
        ['GET', '/api/v1/sources/abc/'],
      ] as const) {
        const res = await stack.call<Envelope<null>>(method, path, {
          token: owner,
          ...(method === 'PATCH' ? { fields: { status: 1 } } : {}),
        });
        expect(res.status, path).toBe(400);
        expect(res.body.data, path).toBeNull();
      }
    });

    it('grant windows: a bad time and an empty window', async () => {
      const source = await readySource();
      const bad = await stack.call('POST', `/api/v1/sources/${source.source_id}/grants/`, {
        token: owner,
        fields: { user_id: 'someone', not_before: 'tomorrow' },
      });
      expect(bad.status).toBe(400);
      const empty = await stack.call('POST', `/api/v1/sources/${source.source_id}/grants/`, {
        token: owner,
        fields: { user_id: 'someone', not_before: '2030-01-02', not_after: '2030-01-01' },
      });
      expect(empty).toEqual({
        status: 400,
        body: { data: null, message: 'not_after: must be later than not_before' },
      });
    });

    it('every route needs a token', async () => {
      for (const [method, path] of [
        ['POST', '/api/v1/tasks/upload/pbulic/'],
        ['PATCH', '/api/v1/tasks/upload/pbulic/1/'],
        ['GET', '/api/v1/tasks/download/?source_id=1'],
        ['PATCH', '/api/v1/tasks/download/1/'],
        ['GET', '/api/v1/tasks/download/1/'],
        ['GET', '/api/v1/tasks/upload/private/'],
        ['GET', '/api/v1/tasks/'],
        ['PATCH', '/api/v1/tasks/upload/private/1'],
        ['GET', '/api/v1/sources/1/'],
        ['POST', '/api/v1/sources/1/grants/'],
        ['GET', '/api/v1/sources/1/grants/'],
        ['DELETE', '/api/v1/sources/1/grants/x/'],
      ] as const) {
        const res = await stack.call(method, path);
        expect(res.status, `${method} ${path}`).toBe(401);
      }
    });
  });

  describe('Idempotency-Key on the create: a retry gets the first reply, not a second task', () => {
    const create = (token: string, key: string | undefined, uuid: string, name = 'ep1') =>
      stack.call<Envelope<UploadTask>>('POST', '/api/v1/tasks/upload/pbulic/', {
        token,
        fields: { series_id: 7, uuid, source_name: name },
        ...(key === undefined ? {} : { headers: { 'Idempotency-Key': key } }),
      });
    const sourcesOf = async (uuid: string) =>
      (await stack.db!.query('select id from sources where uuid = $1', [uuid])).rows;

    it('the same key and request: the same task, one source, one event', async () => {
      const key = randomBytes(16).toString('hex');
      const uuid = `idem-${randomBytes(4).toString('hex')}`;
      const first = ok<UploadTask>(await create(owner, key, uuid));
      // The task moves on; the retry still answers what the create answered.
      ok(
        await stack.call('PATCH', `/api/v1/tasks/upload/pbulic/${first.id}/`, {
          token: owner,
          fields: { status: 1, percent: 5 },
        }),
      );
      const again = ok<UploadTask>(await create(owner, key, uuid));
      expect(again).toEqual(first);
      expect(await sourcesOf(uuid)).toHaveLength(1);
      expect(await totalCount(stack.nc, EventSubjects.uploadTask(first.id))).toBe(2);
    });

    it('retries racing each other make one task', async () => {
      const key = randomBytes(16).toString('hex');
      const uuid = `idem-${randomBytes(4).toString('hex')}`;
      const replies = await Promise.all(Array.from({ length: 5 }, () => create(owner, key, uuid)));
      const tasks = replies.map((r) => ok<UploadTask>(r));
      expect(new Set(tasks.map((t) => t.id)).size).toBe(1);
      expect(await sourcesOf(uuid)).toHaveLength(1);
    });

    it('without a key, two creates make two tasks (the seed API as it was)', async () => {
      const uuid = `idem-${randomBytes(4).toString('hex')}`;
      ok(await create(owner, undefined, uuid));
      ok(await create(owner, undefined, uuid));
      expect(await sourcesOf(uuid)).toHaveLength(2);
    });

    it('the same key with another request: 409 naming the key, nothing created', async () => {
      const key = randomBytes(16).toString('hex');
      const uuid = `idem-${randomBytes(4).toString('hex')}`;
      ok(await create(owner, key, uuid, 'ep1'));
      const before = await snapshot();
      const res = await create(owner, key, uuid, 'ep2');
      expect(res).toEqual({
        status: 409,
        body: {
          data: null,
          message: 'Idempotency-Key: this key was already used for a different request',
        },
      });
      expect(await snapshot()).toEqual(before);
    });

    it("another user's key is not yours: same key, own task, no reply of theirs", async () => {
      const key = randomBytes(16).toString('hex');
      const uuid = `idem-${randomBytes(4).toString('hex')}`;
      const mine = ok<UploadTask>(await create(owner, key, uuid));
      const theirs = ok<UploadTask>(await create(intruder, key, uuid));
      expect(theirs.id).not.toBe(mine.id);
      expect(await sourcesOf(uuid)).toHaveLength(2);
    });

    it.each([
      ['empty', ''],
      ['with a space', 'a b'],
      ['longer than 255', 'k'.repeat(256)],
      ['not ASCII', 'clé'],
    ])('a key %s: 400 naming the header, nothing created', async (_label, key) => {
      const before = await snapshot();
      const res = await create(owner, key, `idem-${randomBytes(4).toString('hex')}`);
      expect(res.status).toBe(400);
      expect((res.body as unknown as Envelope<null>).message).toMatch(/idempotency-key/);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe("GET /api/v1/tasks/: the caller's own tasks, newest first", () => {
    it('lists uploads and downloads with their current status, each only to its own user', async () => {
      const studio = await stack.token(userId('studio'));
      const first = await readySource(studio);
      const second = await createUpload(studio);
      const viewer = userId('viewer');
      const viewerToken = await stack.token(viewer);
      ok(
        await stack.call('POST', `/api/v1/sources/${first.source_id}/grants/`, {
          token: studio,
          fields: { user_id: viewer },
        }),
      );
      const download = await openDownload(first.source_id, viewerToken);

      const mine = ok<MyTasks>(await stack.call('GET', '/api/v1/tasks/', { token: studio }));
      expect(mine.uploads.map((t) => [t.id, t.status])).toEqual([
        [second.id, 0],
        [first.id, 8],
      ]);
      expect(mine.uploads[1]).toMatchObject({ hash: PUBLIC_HASH, source_id: first.source_id });
      expect(mine.downloads).toEqual([]);

      const theirs = ok<MyTasks>(await stack.call('GET', '/api/v1/tasks/', { token: viewerToken }));
      expect(theirs.uploads).toEqual([]);
      expect(theirs.downloads).toEqual([download]);
      // The same record as the download's own detail route.
      expect(theirs.downloads[0]).toEqual(
        ok<DownloadTask>(
          await stack.call('GET', `/api/v1/tasks/download/${download.id}/`, {
            token: viewerToken,
          }),
        ),
      );

      const one = ok<MyTasks>(await stack.call('GET', '/api/v1/tasks/?limit=1', { token: studio }));
      expect(one.uploads.map((t) => t.id)).toEqual([second.id]);
    });

    it('a limit out of range or of another type is a 400 naming it', async () => {
      for (const limit of ['0', '101', 'ten', '-1']) {
        const res = await stack.call('GET', `/api/v1/tasks/?limit=${limit}`, { token: owner });
        expect(res.status, limit).toBe(400);
        expect((res.body as Envelope<null>).message).toMatch(/limit/);
      }
      // Unknown query parameters are ignored, as on every route (a client's cache-buster).
      const busted = await stack.call('GET', '/api/v1/tasks/?_=123', { token: owner });
      expect(busted.status).toBe(200);
    });
  });

  describe('grants decide who may open a download task', () => {
    it('without any grant: 404, as if the source did not exist', async () => {
      const source = await readySource();
      for (const path of [
        `/api/v1/tasks/download/?source_id=${source.source_id}`,
        `/api/v1/sources/${source.source_id}/`,
      ]) {
        const res = await stack.call('GET', path, { token: intruder });
        expect(res).toEqual({
          status: 404,
          body: { data: null, message: `source ${source.source_id} not found` },
        });
      }
    });

    it.each([
      [
        'before not_before',
        () => ({ not_before: new Date(Date.now() + HOUR).toISOString() }),
        'is valid from',
      ],
      [
        'after not_after',
        () => ({ not_after: new Date(Date.now() - HOUR).toISOString() }),
        'expired at',
      ],
    ])('%s: 403 with the reason, and no task', async (_label, window, reason) => {
      const source = await readySource();
      const user = userId('early-or-late');
      const g = await grant(source.source_id, user, window());
      const before = await snapshot();
      const res = await stack.call<Envelope<null>>(
        'GET',
        `/api/v1/tasks/download/?source_id=${source.source_id}`,
        { token: await stack.token(user) },
      );
      expect(res.status).toBe(403);
      expect(res.body.message).toBe(
        `your grant to download source ${source.source_id} ${reason} ${g.not_before ?? g.not_after}; you cannot download it now`,
      );
      expect(await snapshot()).toEqual(before);
    });

    it('after revocation: 403, while a valid grant worked before it', async () => {
      const source = await readySource();
      const user = userId('revoked');
      const token = await stack.token(user);
      await grant(source.source_id, user);
      const download = await openDownload(source.source_id, token);
      ok(
        await stack.call('PATCH', `/api/v1/tasks/download/${download.id}/`, {
          token,
          fields: { status: 9 },
        }),
      );
      ok(
        await stack.call('DELETE', `/api/v1/sources/${source.source_id}/grants/${user}/`, {
          token: owner,
        }),
      );
      const res = await stack.call<Envelope<null>>(
        'GET',
        `/api/v1/tasks/download/?source_id=${source.source_id}`,
        { token },
      );
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(
        new RegExp(`^your grant to download source ${source.source_id} was revoked at `),
      );
      // The source is hidden again.
      expect(
        (await stack.call('GET', `/api/v1/sources/${source.source_id}/`, { token })).status,
      ).toBe(404);
    });

    it('a source still uploading cannot be downloaded: 409', async () => {
      const task = await createUpload();
      await grant(task.source_id, ids.licensee);
      const res = await stack.call('GET', `/api/v1/tasks/download/?source_id=${task.source_id}`, {
        token: licensee,
      });
      expect(res).toEqual({
        status: 409,
        body: {
          data: null,
          message: `source ${task.source_id} is not ready to download: its public block upload is at status 0, not 8`,
        },
      });
    });

    it('10 concurrent creations give one task, one download event and one private task', async () => {
      const source = await readySource();
      const user = userId('racer');
      const token = await stack.token(user);
      await grant(source.source_id, user);
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          stack.call<Envelope<DownloadTask>>(
            'GET',
            `/api/v1/tasks/download/?source_id=${source.source_id}`,
            i % 2 === 0
              ? { token }
              : { token, encoding: 'form', fields: { source_id: source.source_id } },
          ),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
      const taskIds = new Set(replies.map((r) => r.body.data.id));
      expect(taskIds.size).toBe(1);
      const [id] = [...taskIds];
      const { rows } = await stack.db!.query('select * from private_tasks where source_id = $1', [
        source.source_id,
      ]);
      expect(rows).toHaveLength(1);
      await stack.flushEvents();
      expect(await totalCount(stack.nc, EventSubjects.downloadTask(id!))).toBe(1);
      expect(await totalCount(stack.nc, EventSubjects.privateTask(rows[0].id))).toBe(1);
    });
  });

  describe("other users' objects: 404, nothing changed, no event", () => {
    it('on every route', async () => {
      const source = await readySource();
      await grant(source.source_id, ids.licensee);
      const download = await openDownload(source.source_id);
      const privateTask = await privateTaskOf(source.source_id);
      await stack.flushEvents();
      const before = await snapshot();
      const eventsBefore = await subjectCounts(stack.nc, 'events.tasks.>');

      const attempts: [string, string, Record<string, string | number>?][] = [
        ['PATCH', `/api/v1/tasks/upload/pbulic/${source.id}/`, { status: 9 }],
        ['GET', `/api/v1/tasks/download/?source_id=${source.source_id}`],
        ['PATCH', `/api/v1/tasks/download/${download.id}/`, { status: 4 }],
        ['GET', `/api/v1/tasks/download/${download.id}/`],
        ['PATCH', `/api/v1/tasks/upload/private/${privateTask.id}`, { status: 3 }],
        ['GET', `/api/v1/sources/${source.source_id}/`],
        ['POST', `/api/v1/sources/${source.source_id}/grants/`, { user_id: ids.intruder }],
        ['GET', `/api/v1/sources/${source.source_id}/grants/`],
        ['DELETE', `/api/v1/sources/${source.source_id}/grants/${ids.licensee}/`],
      ];
      for (const [method, path, fields] of attempts) {
        const res = await stack.call<Envelope<null>>(method, path, {
          token: intruder,
          ...(fields ? { fields, encoding: 'multipart' as const } : {}),
        });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body.data).toBeNull();
        expect(res.body.message).toMatch(/not found$/);
      }
      const list = await stack.call<Envelope<PrivateUploadTask[]>>(
        'GET',
        '/api/v1/tasks/upload/private/',
        {
          token: intruder,
        },
      );
      expect(list.body.data).toEqual([]);

      // The licensee sees the source but may not touch the owner's tasks or grants.
      for (const [method, path, fields, status] of [
        ['PATCH', `/api/v1/tasks/upload/pbulic/${source.id}/`, { status: 9 }, 404],
        ['PATCH', `/api/v1/tasks/upload/private/${privateTask.id}`, { status: 3 }, 404],
        ['GET', `/api/v1/sources/${source.source_id}/grants/`, undefined, 403],
      ] as const) {
        const res = await stack.call(method, path, {
          token: licensee,
          ...(fields ? { fields } : {}),
        });
        expect(res.status, `${method} ${path}`).toBe(status);
      }
      // Root reads everything but reports on nobody's tasks.
      expect(
        ok(await stack.call('GET', `/api/v1/tasks/download/${download.id}/`, { token: root })),
      ).toEqual(download);
      expect(
        ok<MasterSource>(
          await stack.call('GET', `/api/v1/sources/${source.source_id}/`, { token: root }),
        ).hash,
      ).toBe(PUBLIC_HASH);
      expect(
        ok<Grant[]>(
          await stack.call('GET', `/api/v1/sources/${source.source_id}/grants/`, { token: root }),
        ),
      ).toHaveLength(1);
      for (const [path, fields] of [
        [`/api/v1/tasks/upload/pbulic/${source.id}/`, { status: 9 }],
        [`/api/v1/tasks/download/${download.id}/`, { status: 4 }],
        [`/api/v1/tasks/upload/private/${privateTask.id}`, { status: 3 }],
      ] as const) {
        const res = await stack.call<Envelope<null>>('PATCH', path, { token: root, fields });
        expect(res.status, path).toBe(403);
        expect(res.body.message).toMatch(/^only its owner can update/);
      }

      expect(await snapshot()).toEqual(before);
      await stack.flushEvents();
      const after = await subjectCounts(stack.nc, 'events.tasks.>');
      for (const [subject, count] of Object.entries(eventsBefore))
        expect(after[subject], subject).toBe(count);
      const newSubjects = Object.keys(after).filter((s) => !(s in eventsBefore));
      expect(newSubjects.every((s) => s.startsWith('events.tasks.agent.sentinel-'))).toBe(true);
    });
  });

  describe('events and jobs', () => {
    it('one event per change, none for an identical PATCH', async () => {
      const task = await createUpload();
      const path = `/api/v1/tasks/upload/pbulic/${task.id}/`;
      const report = { status: 1, percent: 10, name: 'a', file: 'b', ip: 'c' };
      for (const encoding of BODY_ENCODINGS) {
        ok(await stack.call('PATCH', path, { token: owner, encoding, fields: report }));
      }
      ok(await stack.call('PATCH', path, { token: owner, fields: { status: 1, percent: 20 } }));
      ok(await stack.call('PATCH', path, { token: owner, fields: { status: 1, percent: 20 } }));
      await stack.flushEvents();
      expect(await totalCount(stack.nc, EventSubjects.uploadTask(task.id))).toBe(3);
    });

    it('seal, fetch and release jobs land on JOBS exactly once', async () => {
      const sealerId = `sealer-${run}`;
      const fetcherId = `fetcher-${run}`;
      const key = () => randomBytes(32).toString('base64');
      ok(
        await stack.call('POST', '/api/v1/agents/', {
          token: owner,
          fields: {
            id: sealerId,
            peer_id: '12D3KooWsealer',
            public_key: key(),
            signing_key: key(),
          },
        }),
      );
      const fetcherKey = key();
      ok(
        await stack.call('POST', '/api/v1/agents/', {
          token: licensee,
          encoding: 'multipart',
          fields: {
            id: fetcherId,
            peer_id: '12D3KooWfetcher',
            public_key: fetcherKey,
            signing_key: key(),
          },
        }),
      );
      const source = await readySource(owner, { path: 'xianjian/ep21.mov', agent: sealerId });
      const notAfter = new Date(Date.now() + HOUR).toISOString();
      await grant(source.source_id, ids.licensee, { not_after: notAfter });
      const path = `/api/v1/tasks/download/?source_id=${source.source_id}&agent=${fetcherId}`;
      const withAgent = ok<DownloadTask>(await stack.call('GET', path, { token: licensee }));
      expect(ok<DownloadTask>(await stack.call('GET', path, { token: licensee })).id).toBe(
        withAgent.id,
      );
      const privateTask = await privateTaskOf(source.source_id);

      await waitFor('the jobs', async () =>
        (await jobCount(stack.nc, `jobs.ipfs.${sealerId}.>`)) === 2 &&
        (await jobCount(stack.nc, `jobs.ipfs.${fetcherId}.>`)) === 1
          ? true
          : undefined,
      );
      await stack.flushEvents();
      expect(await jobCount(stack.nc, JobSubjects.seal(sealerId))).toBe(1);
      expect(await jobCount(stack.nc, JobSubjects.release(sealerId))).toBe(1);
      expect(await jobCount(stack.nc, JobSubjects.fetch(fetcherId))).toBe(1);
      const [seal] = await readJobs<SealJob>(stack.nc, JobSubjects.seal(sealerId));
      expect(seal?.msgId).toBe(seal?.job.id);
      expect(seal?.job).toMatchObject({
        taskId: source.id,
        sourceId: source.source_id,
        path: 'xianjian/ep21.mov',
        userId: ids.owner,
      });
      const [fetch] = await readJobs<FetchJob>(stack.nc, JobSubjects.fetch(fetcherId));
      expect(fetch?.job).toMatchObject({
        downloadTaskId: withAgent.id,
        userId: ids.licensee,
        publicBlock: { hash: PUBLIC_HASH, size: 102400, name: 'ep21.pub' },
      });
      const [release] = await readJobs<ReleaseJob>(stack.nc, JobSubjects.release(sealerId));
      expect(release?.job).toMatchObject({
        agent: sealerId,
        ownerId: ids.owner,
        downloadTaskId: withAgent.id,
        privateTaskId: privateTask.id,
        recipient: {
          agent: fetcherId,
          userId: ids.licensee,
          publicKey: fetcherKey,
          peerId: '12D3KooWfetcher',
        },
      });
      // The job asks; the sealing agent reads the grant itself and checks the owner's signature.
      expect(release?.job).not.toHaveProperty('grant');
      expect(fetch?.job).toMatchObject({ grant: null });
      const sourceView = ok<MasterSource>(
        await stack.call('GET', `/api/v1/sources/${source.source_id}/`, { token: owner }),
      );
      expect(sourceView.sealed_by).toBe(sealerId);
    });
  });
});
