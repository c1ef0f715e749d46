import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { briefly, ignoreEnded, TaskApiError, TaskClient } from '../src/index.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly token: string | undefined;
  readonly body: unknown;
}

/** Answers each request with the next scripted reply and keeps what it was asked. */
function scriptedServer() {
  const seen: Seen[] = [];
  /** The Idempotency-Key of each request, in the order of `seen`. */
  const keys: (string | undefined)[] = [];
  const replies: { status: number; body: string }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      keys.push(req.headers['idempotency-key'] as string | undefined);
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        token: req.headers.token as string | undefined,
        body: text === '' ? undefined : JSON.parse(text),
      });
      const reply = replies.shift() ?? { status: 200, body: '{"data":null,"message":""}' };
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
    });
  });
  return { server, seen, keys, replies };
}

describe('TaskClient against an HTTP server', () => {
  const { server, seen, keys, replies } = scriptedServer();
  let baseUrl = '';
  const client = () => new TaskClient({ baseUrl: `${baseUrl}/api/v1/`, token: 'tok' });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the Token header and JSON, and unwraps data', async () => {
    replies.push({ status: 200, body: '{"data":{"id":7,"status":4},"message":"ok"}' });
    const task = await client().reportDownload(7, { status: 4, percent: 12 });
    expect(task).toEqual({ id: 7, status: 4 });
    expect(seen.at(-1)).toEqual({
      method: 'PATCH',
      url: '/api/v1/tasks/download/7/',
      token: 'tok',
      body: { status: 4, percent: 12 },
    });
  });

  it('creates an upload task under an Idempotency-Key and asks again with it when the gateway fails', async () => {
    const retrying = new TaskClient({ baseUrl, token: 'tok', retryPauseMs: 1 });
    replies.push(
      {
        status: 504,
        body: '{"data":null,"message":"svc.tasks.upload.create did not answer in time"}',
      },
      { status: 503, body: '{"data":null,"message":"no service is answering"}' },
      { status: 200, body: '{"data":{"id":9},"message":""}' },
    );
    const from = seen.length;
    const body = { series_id: 1, uuid: 'u', source_name: 's' };
    expect(await retrying.createUploadTask(body)).toEqual({ id: 9 });
    expect(seen.slice(from).map((s) => [s.method, s.url, s.body])).toEqual(
      Array.from({ length: 3 }, () => ['POST', '/api/v1/tasks/upload/pbulic/', body]),
    );
    const sent = keys.slice(from);
    expect(sent[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(sent)).toEqual(new Set([sent[0]]));

    // A new create is a new key; a refusal is not asked again.
    replies.push({ status: 400, body: '{"data":null,"message":"uuid: must not be empty"}' });
    const next = seen.length;
    await expect(retrying.createUploadTask(body, { idempotencyKey: 'k-2' })).rejects.toThrow(
      /uuid: must not be empty/,
    );
    expect(keys.slice(next)).toEqual(['k-2']);
  });

  it('gives up on a create after four tries, the last failure its error', async () => {
    const retrying = new TaskClient({ baseUrl, token: 'tok', retryPauseMs: 1 });
    for (let i = 0; i < 4; i++)
      replies.push({ status: 503, body: '{"data":null,"message":"busy"}' });
    const from = seen.length;
    await expect(
      retrying.createUploadTask({ series_id: 1, uuid: 'u', source_name: 's' }),
    ).rejects.toMatchObject({ status: 503 });
    expect(seen.length - from).toBe(4);
  });

  it('puts a download query in the query string and leaves out what is unset', async () => {
    replies.push({ status: 200, body: '{"data":{"id":1},"message":""}' });
    await client().openDownloadTask({ source_id: 3, agent: 'a-1' });
    expect(seen.at(-1)?.url).toBe('/api/v1/tasks/download/?source_id=3&agent=a-1');
  });

  it("reads a source's audit log and appends an entry as JSON, nested members kept", async () => {
    replies.push({ status: 200, body: '{"data":[{"seq":1}],"message":""}' });
    expect(await client().listAudit(4)).toEqual([{ seq: 1 }]);
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/api/v1/sources/4/audit/' });
    const entry = {
      entry_id: 'job-1:fetch',
      source_uuid: 'u-1',
      kind: 'fetch' as const,
      at: '2026-01-01T00:00:00.000Z',
      actor: { user_id: 'bob', agent: 'lic-1' },
      data: { recipient: { agent: 'lic-1' } },
      signature: { agent: 'lic-1', signing_key: 'k'.repeat(43), value: 'v'.repeat(86) },
    };
    replies.push({ status: 200, body: '{"data":{"seq":2},"message":""}' });
    expect(await client().appendAudit(4, entry)).toEqual({ seq: 2 });
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/api/v1/sources/4/audit/',
      token: 'tok',
      body: entry,
    });
  });

  it('returns the whole reply of the private task list', async () => {
    replies.push({ status: 200, body: '{"data":[],"meta":{"status_choices":[]},"message":""}' });
    expect(await client().listPrivateTasks()).toEqual({
      data: [],
      meta: { status_choices: [] },
      message: '',
    });
  });

  it("turns a refusal into a TaskApiError with the server's message and status", async () => {
    replies.push({ status: 409, body: '{"data":null,"message":"the task has ended"}' });
    const err = await client()
      .getDownloadTask(5)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskApiError);
    expect((err as TaskApiError).message).toBe(
      'GET /api/v1/tasks/download/5/: the task has ended (HTTP 409)',
    );
    expect((err as TaskApiError).status).toBe(409);
    expect(() => ignoreEnded(err)).not.toThrow();
  });

  it('says the HTTP status when the reply is not the JSON envelope', async () => {
    replies.push({ status: 502, body: '<html>bad gateway</html>' });
    const err = (await client()
      .me()
      .catch((e: unknown) => e)) as TaskApiError;
    expect(err.message).toBe('GET /api/v1/users/me/: 502 Bad Gateway (HTTP 502)');
  });

  it('cuts a reason longer than the task API keeps', async () => {
    await client().reportPrivate(2, { status: 9, reason: 'x'.repeat(1500) });
    const body = seen.at(-1)?.body as { reason: string };
    expect(body.reason).toHaveLength(1000);
    expect(body.reason.endsWith('xxx...')).toBe(true);
  });

  it('reports an unreachable gateway without a status', async () => {
    const gone = new TaskClient({ baseUrl: 'http://127.0.0.1:1', token: 't' });
    const err = (await gone.listAgents().catch((e: unknown) => e)) as TaskApiError;
    expect(err).toBeInstanceOf(TaskApiError);
    expect(err.status).toBeUndefined();
    expect(err.message).toMatch(/^cannot reach the gateway at http:\/\/127\.0\.0\.1:1: /);
  });

  it('reads the event stream: each event with its id, JSON data parsed, comments skipped', async () => {
    replies.push({
      status: 200,
      body: 'retry: 2000\n: connected\n\nid: 5\ndata: {"type":"upload.updated"}\n\n: heartbeat\n\nid: 6\ndata: not json\n\n',
    });
    const events = [];
    for await (const event of await client().openEvents(new AbortController().signal)) {
      events.push(event);
    }
    expect(events).toEqual([
      { id: '5', data: { type: 'upload.updated' } },
      { id: '6', data: undefined },
    ]);
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/api/v1/events/', token: 'tok' });
  });

  it('names a refused event stream with its status and message', async () => {
    replies.push({ status: 401, body: '{"data":null,"message":"token expired"}' });
    const err = await client()
      .openEvents(new AbortController().signal)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskApiError);
    expect(err).toMatchObject({
      status: 401,
      message: 'GET /api/v1/events/: token expired (HTTP 401)',
    });
  });

  it("rejects with the caller's abort reason, not the transport error", async () => {
    const abort = new AbortController();
    const reason = new Error('interrupted');
    abort.abort(reason);
    const aborted = new TaskClient({ baseUrl, token: 't', signal: abort.signal });
    await expect(aborted.me()).rejects.toBe(reason);
  });
});

describe('TaskApiError', () => {
  it('tells what is worth asking again from what is not', () => {
    const cases = [undefined, 400, 401, 404, 408, 409, 429, 500, 503].map((status) => {
      const err = new TaskApiError(status, 'x');
      return [status, err.transient, err.permanent];
    });
    expect(cases).toEqual([
      [undefined, true, false],
      [400, false, true],
      [401, false, true],
      [404, false, true],
      [408, true, false],
      [409, false, true],
      [429, true, false],
      [500, true, false],
      [503, true, false],
    ]);
  });

  it('ignoreEnded swallows only 409', () => {
    expect(() => ignoreEnded(new TaskApiError(404, 'gone'))).toThrow('gone');
    expect(() => ignoreEnded(new Error('other'))).toThrow('other');
  });
});

describe('briefly', () => {
  it('keeps a reason of up to 1000 characters and cuts a longer one to 997 and "..."', () => {
    expect(briefly({ status: 9, reason: 'a'.repeat(1000) }).reason).toHaveLength(1000);
    expect(briefly({ status: 9, reason: `${'b'.repeat(997)}cdef` }).reason).toBe(
      `${'b'.repeat(997)}...`,
    );
    const report: { status: number; reason?: string } = { status: 4 };
    expect(briefly(report)).toEqual({ status: 4 });
  });
});
