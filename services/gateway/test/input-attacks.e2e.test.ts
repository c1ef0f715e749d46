/**
 * What a client can send that the gateway must refuse with a 4xx, never a 5xx, and without
 * holding more memory than its limits: malformed content types, out-of-range numbers, NUL in text,
 * multipart floods sent chunked (no Content-Length to refuse them by), tokens that never expire.
 * The gateway runs in this process on a nats-server of its own with no services behind it: all of
 * this is decided before a command is sent.
 */
import { startNats, type StartedNats } from '@media-vault/test-harness';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type GatewayServer } from '../src/server.js';
import { signToken, testGatewayConfig } from './helpers.js';

const secret = `input-attacks-${randomUUID()}`;
const MiB = 1024 * 1024;
const BODY_LIMIT = MiB; // the default
const REQUEST_TIMEOUT_MS = 2_000;

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

let nats: StartedNats;
let gateway: GatewayServer;
let token: string;

beforeAll(async () => {
  nats = await startNats();
  gateway = await buildGateway(
    await testGatewayConfig(nats, secret, {
      BODY_LIMIT: String(BODY_LIMIT),
      COMMAND_TIMEOUT_MS: '2000',
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    }),
  );
  token = await signToken({ sub: 'attacker', roles: [1], secret });
});

afterAll(async () => {
  await gateway?.close();
  await nats?.stop();
});

const call = async (
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Uint8Array; token?: string } = {},
): Promise<Reply> => {
  const res = await fetch(new URL(path, gateway.url), {
    method,
    headers: { token: opts.token ?? token, ...opts.headers },
    body: opts.body,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: res.status, body };
};

/**
 * Sends `parts` as a chunked body (no Content-Length), honouring back-pressure, and stops sending
 * as soon as the gateway answers. Resolves with the reply and how many bytes went out.
 */
function sendChunked(
  path: string,
  contentType: string,
  parts: () => Iterable<Uint8Array>,
): Promise<Reply & { sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest(new URL(path, gateway.url), {
      method: 'POST',
      headers: { token, 'content-type': contentType, 'transfer-encoding': 'chunked' },
    });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: keep the text.
        }
        resolve({ status: res.statusCode ?? 0, body, sent });
        req.destroy();
      });
    });
    // Once answered, the gateway may stop reading; errors of the unsent rest do not matter.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const iterator = parts()[Symbol.iterator]();
    const pump = () => {
      for (;;) {
        if (answered || req.destroyed) return;
        const next = iterator.next();
        if (next.done) {
          req.end();
          return;
        }
        sent += next.value.length;
        if (!req.write(next.value)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

const BOUNDARY = 'attackboundary';
const fieldPart = (name: string, value: Uint8Array | string) =>
  Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`),
    typeof value === 'string' ? Buffer.from(value) : value,
    Buffer.from('\r\n'),
  ]);
const closing = Buffer.from(`--${BOUNDARY}--\r\n`);
const multipartType = `multipart/form-data; boundary=${BOUNDARY}`;

/** One field of `bytes` bytes, sent 64 KiB at a time. */
function* hugeField(name: string, bytes: number): Generator<Uint8Array> {
  yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`);
  const piece = Buffer.alloc(64 * 1024, 'x');
  for (let left = bytes; left > 0; left -= piece.length) {
    yield left >= piece.length ? piece : piece.subarray(0, left);
  }
  yield Buffer.from('\r\n');
  yield closing;
}

/** `count` fields of `bytes` bytes each, every one just under busboy's old 1 MiB field limit. */
function* manyFields(count: number, bytes: number): Generator<Uint8Array> {
  const value = Buffer.alloc(bytes, 'y');
  for (let i = 0; i < count; i++) yield fieldPart(`f${i}`, value);
  yield closing;
}

const BODY_ROUTES: [string, string][] = [
  ['POST', '/api/v1/agents/'],
  ['POST', '/api/v1/tasks/upload/pbulic/'],
  ['PATCH', '/api/v1/tasks/upload/pbulic/1/'],
  ['PATCH', '/api/v1/tasks/download/1/'],
  ['PATCH', '/api/v1/tasks/upload/private/1'],
  ['POST', '/api/v1/sources/1/grants/'],
  ['DELETE', '/api/v1/sources/1/grants/43/'],
  ['POST', '/api/v1/assets/audio'],
  ['POST', '/api/v1/assets/audio/chunk'],
  ['POST', '/api/v1/assets/audio/merge'],
  ['POST', '/api/v1/assets/audio/reject/1'],
  ['POST', '/api/v1/assets/audio/submit/1'],
  ['DELETE', '/api/v1/assets/audio/1'],
];

describe('content types', () => {
  it.each(BODY_ROUTES)(
    '%s %s: multipart/form-data without a boundary is a 400 naming it',
    async (method, path) => {
      const res = await call(method, path, {
        headers: { 'content-type': 'multipart/form-data' },
        body: 'a=1',
      });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(
        'Content-Type multipart/form-data needs a boundary parameter',
      );
    },
  );

  it('a multipart body that does not parse, or carries a file or a field twice, is a 400', async () => {
    const broken = await call('POST', '/api/v1/agents/', {
      headers: { 'content-type': multipartType },
      body: `--${BOUNDARY}\r\nno headers end here`,
    });
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({
      data: null,
      message: 'request body is not valid multipart/form-data',
    });

    const file = new FormData();
    file.append('name', new Blob(['bytes']), 'a.bin');
    const withFile = await call('POST', '/api/v1/agents/', {
      headers: {},
      body: new Uint8Array(await new Response(file).arrayBuffer()),
    });
    // fetch sets no type for a Uint8Array: send the FormData itself instead.
    const res = await fetch(new URL('/api/v1/agents/', gateway.url), {
      method: 'POST',
      headers: { token },
      body: file,
    });
    expect(withFile.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ data: null, message: 'name: files are not accepted' });

    const twice = new FormData();
    twice.append('id', 'a1b');
    twice.append('id', 'a2b');
    const dup = await fetch(new URL('/api/v1/agents/', gateway.url), {
      method: 'POST',
      headers: { token },
      body: twice,
    });
    expect(dup.status).toBe(400);
    expect(await dup.json()).toEqual({ data: null, message: 'id: is given more than once' });
  });

  it('another media type is a 415 naming it; a malformed one a 400 or 415', async () => {
    const xml = await call('POST', '/api/v1/agents/', {
      headers: { 'content-type': 'application/xml' },
      body: '<agent/>',
    });
    expect(xml.status).toBe(415);
    expect((xml.body as { message: string }).message).toContain('application/xml');
    for (const type of ['/', 'multipart/', ';;;', 'multipart/form-data; boundary=']) {
      const res = await call('POST', '/api/v1/assets/audio', {
        headers: { 'content-type': type },
        body: 'x',
      });
      expect([400, 415], type).toContain(res.status);
      expect((res.body as { message: string }).message, type).not.toBe('');
    }
  });
});

describe('numbers out of range', () => {
  it.each([
    '/api/v1/assets/audio?offset=1055837077352431809513036496951574528',
    '/api/v1/assets/audio?offset=2147483648',
    '/api/v1/assets/audio/drafts/u1?offset=99999999999999999999',
    '/api/v1/assets/audio/rejects/u1?offset=1e40',
  ])('GET %s is a 400 naming offset', async (path) => {
    const res = await call('GET', path);
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toContain('offset');
  });

  it('a chunk index or a JSON asset id beyond their range is a 400', async () => {
    const index = await call('POST', '/api/v1/assets/audio/chunk_file/1?index=2147483648', {
      headers: { 'content-type': 'application/octet-stream' },
      body: 'x',
    });
    expect(index.status).toBe(400);
    expect((index.body as { message: string }).message).toContain('index');
    const id = await call('POST', '/api/v1/assets/audio/merge', {
      headers: { 'content-type': 'application/json' },
      body: '{"id": 1e30}',
    });
    expect(id.status).toBe(400);
    const size = await call('PATCH', '/api/v1/tasks/upload/pbulic/1/', {
      headers: { 'content-type': 'application/json' },
      body: '{"status": 1, "size": 1e300}',
    });
    expect(size.status).toBe(400);
    expect((size.body as { message: string }).message).toContain('size');
  });
});

describe('text', () => {
  it('NUL in a body field, a query parameter or a path parameter is a 400 naming where', async () => {
    const body = await call('POST', '/api/v1/agents/', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'abc', peer_id: 'p', name: 'a\u0000b' }),
    });
    expect(body.status).toBe(400);
    expect(body.body).toEqual({
      data: null,
      message: 'body/name: text may not contain the NUL character (U+0000)',
    });
    const query = await call('GET', '/api/v1/assets/audio?name=a%00b');
    expect(query.status).toBe(400);
    expect((query.body as { message: string }).message).toBe(
      'querystring/name: text may not contain the NUL character (U+0000)',
    );
    const params = await call('GET', '/api/v1/assets/audio/drafts/u%001');
    expect(params.status).toBe(400);
  });
});

describe('bodies sent chunked are bounded while they stream', () => {
  it('a multipart body far beyond the limit (200 MiB in one field) is a 413 naming it', async () => {
    const res = await sendChunked('/api/v1/agents/', multipartType, () =>
      hugeField('name', 200 * MiB),
    );
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      data: null,
      message: `request body is larger than the ${BODY_LIMIT}-byte limit`,
    });
  });

  it('more fields than a form has is a 413 naming the limit', async () => {
    const res = await sendChunked('/api/v1/agents/', multipartType, () => manyFields(500, 8));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ data: null, message: 'a form may have at most 32 fields' });
  });

  it('a field larger than any route takes is a 413 naming the field', async () => {
    const res = await sendChunked('/api/v1/agents/', multipartType, () => manyFields(1, 64 * 1024));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ data: null, message: 'f0: a field may have at most 16384 bytes' });
  });

  it('a JSON body beyond the limit sent chunked is a 413 as well', async () => {
    const res = await sendChunked('/api/v1/agents/', 'application/json', function* () {
      yield Buffer.from('{"name": "');
      const piece = Buffer.alloc(64 * 1024, 'x');
      for (let i = 0; i < 64; i++) yield piece;
      yield Buffer.from('"}');
    });
    expect(res.status).toBe(413);
  });

  it('a flood of 200 MiB in many near-1-MiB fields over parallel requests leaves memory bounded', async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    try {
      // Four requests of 50 fields of (1 MiB - 1 KiB): what the old per-field limits let through.
      const replies = await Promise.all(
        Array.from({ length: 4 }, () =>
          sendChunked('/api/v1/agents/', multipartType, () => manyFields(50, MiB - 1024)),
        ),
      );
      for (const res of replies) expect(res.status).toBe(413);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    // The client side of this test holds one 1 MiB buffer per request; the gateway at most its
    // body limit per request. Holding the fields would take 200 MiB and more.
    expect((peak - before) / MiB).toBeLessThan(64);
  });
});

describe('tokens', () => {
  const key = new TextEncoder().encode(secret);

  it('a token without exp is a 401 saying so', async () => {
    const forever = await new SignJWT({ roles: [1] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('attacker')
      .setIssuedAt()
      .sign(key);
    const res = await call('GET', '/api/v1/users/me/', { token: forever });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ data: null, message: 'token has no expiry (exp claim)' });
  });

  it('a token that lives longer than the 24 h maximum is a 401 saying so', async () => {
    const long = await signToken({ sub: 'attacker', secret, exp: '25h' });
    const res = await call('GET', '/api/v1/users/me/', { token: long });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      data: null,
      message: 'token lives longer than the 86400-second maximum (exp - iat)',
    });
    // Leaving out iat does not help: the life is then counted from now.
    const noIat = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('attacker')
      .setExpirationTime('30d')
      .sign(key);
    expect((await call('GET', '/api/v1/users/me/', { token: noIat })).status).toBe(401);
    const fine = await signToken({ sub: 'attacker', secret, exp: '23h' });
    expect((await call('GET', '/api/v1/users/me/', { token: fine })).status).toBe(200);
  });
});

describe('the OpenAPI document lists every status a route answers', () => {
  it('body routes list 413 and 415, command routes 503 and 504, downloads their own', async () => {
    const res = await fetch(new URL('/docs/json', gateway.url));
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const statuses = (path: string, method: string) =>
      Object.keys(doc.paths[path]?.[method]?.responses ?? {});
    for (const [method, path] of BODY_ROUTES) {
      const documented = path
        .replace(/\/1\/grants\/43\//, '/{source_id}/grants/{user_id}/')
        .replace(/\/sources\/1\//, '/sources/{source_id}/')
        .replace(/\/1(\/?)$/, '/{id}$1');
      expect(statuses(documented, method.toLowerCase()), `${method} ${documented}`).toEqual(
        expect.arrayContaining(['400', '401', '413', '415', '503', '504']),
      );
    }
    expect(statuses('/api/v1/assets/audio/download/{id}', 'get')).toEqual(
      expect.arrayContaining(['200', '206', '304', '400', '401', '404', '416', '503', '504']),
    );
  });
});

describe('a client that trickles its request', () => {
  it('is answered 408 and cut off once REQUEST_TIMEOUT_MS has passed, however slowly it sends', async () => {
    const { port } = new URL(gateway.url);
    const socket = tcpConnect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (b: Buffer) => (answer += b.toString('latin1')));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.write(
      'POST /api/v1/tasks/upload/pbulic/ HTTP/1.1\r\nHost: x\r\n' +
        `Token: ${token}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n`,
    );
    // A byte a second: well inside the idle timeout, never finishing the body.
    const drip = setInterval(() => socket.write('{'), 1_000);
    try {
      await closed;
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  }, 60_000);
});
