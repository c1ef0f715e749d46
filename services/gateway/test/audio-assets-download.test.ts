import type { AudioAsset } from '@media-vault/contracts';
import { natsEnv, principalSigningEnv, STAGING_KINDS } from '@media-vault/test-harness';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config.js';
import { buildGateway } from '../src/server.js';
import {
  ASSETS,
  AudioStack,
  expectGrpcError,
  Grpc,
  makeMp3,
  REVIEWER,
  sha256,
  type MediaFile,
} from './audio-helpers.js';
import { signToken } from './helpers.js';

const run = Date.now().toString(36);

// Once per staging adapter: the file is merged from chunks staged there.
const title = 'audio asset download over HTTP: ranges, ETag, headers, %s staging';

describe.each(STAGING_KINDS)(title, (staging) => {
  let stack: AudioStack;
  let listener: string;
  let file: MediaFile;
  let asset: AudioAsset;
  let size: number;

  const get = (headers: Record<string, string> = {}, kind: 0 | 1 | 2 = 0) =>
    stack.download(listener, asset.id, kind, headers);

  beforeAll(async () => {
    stack = await AudioStack.start({ staging });
    const alice = await stack.token(`alice-${run}`, [ASSETS]);
    listener = await stack.token(`listener-${run}`);
    file = await makeMp3(stack.dir, { seconds: 6 });
    size = file.bytes.length;
    asset = await stack.ingest(alice, 'Évening "Raga" 12.mp3', file);
    const resolved = await stack.review(
      await stack.token(`rev-${run}`, [REVIEWER]),
      'resolve',
      asset.id,
    );
    expect(resolved.status).toBe(200);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const cidOf = (kind: 0 | 1 | 2) => asset.files.find((f) => f.file === kind)!.cid;

  it('serves the whole file with its type, length, ETag and a download name', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(res.headers.get('content-length')).toBe(String(size));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('etag')).toBe(`"${cidOf(0)}"`);
    expect(res.headers.get('content-range')).toBeNull();
    const disposition = res.headers.get('content-disposition')!;
    expect(disposition).toMatch(/^attachment;/);
    // Non-ASCII names travel as RFC 5987 filename*; the ASCII fallback keeps the rest.
    expect(disposition).toContain(`filename*=UTF-8''%C3%89vening%20%22Raga%22%2012.mp3`);
    expect(sha256(res.bytes)).toBe(file.hash);
  });

  it('names the renditions after the asset', async () => {
    for (const [kind, suffix] of [
      [1, '-archive'],
      [2, '-live'],
    ] as const) {
      const res = await get({}, kind);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('audio/mpeg');
      expect(res.headers.get('etag')).toBe(`"${cidOf(kind)}"`);
      expect(res.headers.get('content-disposition')).toContain(
        `%C3%89vening%20%22Raga%22%2012${suffix}.mp3`,
      );
      expect(res.headers.get('content-length')).toBe(
        asset.files.find((f) => f.file === kind)!.size,
      );
    }
  });

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=100-', 100, -1],
    ['bytes=-50', -50, -1],
    ['bytes=0-0', 0, 0],
    ['bytes=1000-1999999999', 1000, -1],
  ])('Range %s answers 206 with exactly those bytes', async (range, start, last) => {
    const from = start < 0 ? size + start : start;
    const to = last < 0 ? size - 1 : last;
    const res = await get({ range });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${from}-${to}/${size}`);
    expect(res.headers.get('content-length')).toBe(String(to - from + 1));
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(res.bytes.equals(file.bytes.subarray(from, to + 1))).toBe(true);
  });

  it('Range bytes=0- is the whole file as one 206', async () => {
    const res = await get({ range: 'bytes=0-' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 0-${size - 1}/${size}`);
    expect(sha256(res.bytes)).toBe(file.hash);
  });

  it.each(['bytes=5-2', 'bytes=0-1,5-6', 'items=0-5', 'bytes=abc'])(
    'an unusable Range %s is ignored: 200 with the whole file',
    async (range) => {
      const res = await get({ range });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-range')).toBeNull();
      expect(sha256(res.bytes)).toBe(file.hash);
    },
  );

  it.each([() => `bytes=${size}-`, () => `bytes=${size + 100}-${size + 200}`, () => 'bytes=-0'])(
    'a range past the end (%#) is 416 with Content-Range bytes */size',
    async (range) => {
      const res = await get({ range: range() });
      expect(res.status).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${size}`);
      expect(res.bytes.length).toBe(0);
    },
  );

  it('seeks many times in a row, like a player scrubbing', async () => {
    const starts = [0, size - 4096, 1234, Math.floor(size / 2), 65_530, 7, size - 1];
    for (const start of starts) {
      const end = Math.min(size - 1, start + 4095);
      const res = await get({ range: `bytes=${start}-${end}` });
      expect(res.status, `seek to ${start}`).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
      expect(res.bytes.equals(file.bytes.subarray(start, end + 1)), `seek to ${start}`).toBe(true);
    }
    // A range that spans a chunk boundary of the upload reads straight through it.
    const across = await get({ range: `bytes=${stack.chunkSize - 10}-${stack.chunkSize + 9}` });
    expect(
      across.bytes.equals(file.bytes.subarray(stack.chunkSize - 10, stack.chunkSize + 10)),
    ).toBe(true);
  });

  it('If-None-Match with the ETag is 304 without a body; another ETag gets the file', async () => {
    const etag = (await get()).headers.get('etag')!;
    const cached = await get({ 'if-none-match': etag });
    expect(cached.status).toBe(304);
    expect(cached.bytes.length).toBe(0);
    expect(cached.headers.get('etag')).toBe(etag);
    const stale = await get({ 'if-none-match': '"bafy-some-other-version"' });
    expect(stale.status).toBe(200);
    expect(sha256(stale.bytes)).toBe(file.hash);
    // Another file of the same asset is another version.
    const rendition = await get({ 'if-none-match': etag }, 2);
    expect(rendition.status).toBe(200);
  });

  // The comparison is an exact string match; RFC 9110 §13.1.2 asks for a weak comparison
  // against a list of tags, or "*".
  it('If-None-Match with a list, a weak tag or * is 304 too', async () => {
    const etag = `"${cidOf(0)}"`;
    for (const header of [`"other", ${etag}`, `W/${etag}`, '*']) {
      const res = await get({ 'if-none-match': header });
      expect(res.status, header).toBe(304);
    }
  });

  it('If-Range with the ETag honours the Range; with another ETag sends everything', async () => {
    const etag = `"${cidOf(0)}"`;
    const same = await get({ range: 'bytes=10-19', 'if-range': etag });
    expect(same.status).toBe(206);
    expect(same.bytes.equals(file.bytes.subarray(10, 20))).toBe(true);
    const other = await get({ range: 'bytes=10-19', 'if-range': '"elsewhere"' });
    expect(other.status).toBe(200);
    expect(sha256(other.bytes)).toBe(file.hash);
  });

  // fastify's implicit HEAD route rewrites Content-Length to 0 when the handler sends no body.
  it('HEAD answers the headers of GET, without the body', async () => {
    const res = await stack.http('HEAD', `/api/v1/assets/audio/download/${asset.id}?file=0`, {
      token: listener,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(size));
    expect(res.headers.get('etag')).toBe(`"${cidOf(0)}"`);
    expect(res.bytes.length).toBe(0);
  });

  it('refuses an unknown file kind, an unknown asset and a missing token', async () => {
    const bad = await stack.http('GET', `/api/v1/assets/audio/download/${asset.id}?file=3`, {
      token: listener,
    });
    expectGrpcError(bad, 400, Grpc.invalidArgument, /file/);
    expectGrpcError(
      await stack.download(listener, '99999999', 0),
      404,
      Grpc.notFound,
      'audio asset 99999999 not found',
    );
    expectGrpcError(
      await stack.http('GET', `/api/v1/assets/audio/download/${asset.id}`),
      401,
      Grpc.unauthenticated,
    );
  });

  it('a gateway whose IPFS node lacks the file answers 503 naming it, not a broken 200', async () => {
    const secret = 'another-secret-for-this-gateway';
    // No IPFS_API_URL and an empty DATA_DIR: the embedded node it would read has no blocks.
    const elsewhere = await buildGateway(
      loadGatewayConfig({
        ...(await natsEnv(stack.nats, { kind: 'gateway' })),
        ...principalSigningEnv(),
        PORT: '0',
        HOST: '127.0.0.1',
        JWT_SECRET: secret,
        LOG_LEVEL: 'silent',
        DATA_DIR: join(stack.dir, 'empty-data-dir'),
        SHUTDOWN_DRAIN_MS: '0',
      }),
    );
    try {
      const token = await signToken({ sub: `listener-${run}`, secret });
      const res = await fetch(
        new URL(`/api/v1/assets/audio/download/${asset.id}?file=0`, elsewhere.url),
        { headers: { token } },
      );
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({
        code: 14,
        message: `file ${cidOf(0)} is not in the IPFS node downloads read from; try again later`,
        details: [],
      });
    } finally {
      await elsewhere.close();
    }
  });
});
