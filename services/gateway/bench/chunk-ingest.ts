/**
 * Chunk ingest: the same file uploaded in the same run, in 5 MiB pieces one after another,
 *   gateway: POST chunk_file → sha256 while streaming → NATS object store → assets service records it
 *   tus:     @tus/server PATCH → @tus/file-store on local disk
 * Prints MB/s of each, their ratio and each server's peak RSS, then the merge throughput of the
 * uploaded file (concatenate + whole-file sha256 + ffprobe, in the media worker).
 * BENCH_SIZE_MB sets the file size (default 1024).
 */
import {
  createDatabase,
  freePort,
  makeTempDir,
  startServers,
  natsAccess,
  natsEnv,
  principalSigningEnv,
  principalVerifyEnv,
  uniqueName,
} from '@media-vault/test-harness';
import { SignJWT } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { startTs, waitForLine, waitUntil, type BenchProcess } from './bench-processes.js';

const SIZE = Number(process.env.BENCH_SIZE_MB ?? 1024) * 1024 * 1024;
const CHUNK = 5 * 1024 * 1024;
const secret = 'bench-secret-0123456789abcdef';
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

const servers = await startServers({ postgres: true, nats: true });
const work = await makeTempDir('bench-ingest');
const processes: BenchProcess[] = [];

try {
  // The same bytes for both peers, made once.
  const file = join(work.path, 'input.bin');
  const hasher = createHash('sha256');
  const out = createWriteStream(file);
  for (let written = 0; written < SIZE;) {
    const piece = randomBytes(Math.min(4 * 1024 * 1024, SIZE - written));
    hasher.update(piece);
    if (!out.write(piece)) await once(out, 'drain');
    written += piece.length;
  }
  out.end();
  await once(out, 'finish');
  const hash = hasher.digest('hex');

  const nats = natsAccess(servers.urls);
  const common = { LOG_LEVEL: 'warn', HEALTH_PORT: '0' };
  const assets = startTs('services/assets/src/main.ts', {
    ...common,
    ...(await natsEnv(nats, { kind: 'assets' })),
    ...principalVerifyEnv(),
    DATABASE_URL: await createDatabase(servers.urls.postgresUrl!, uniqueName('bench')),
    ASSET_CHUNK_SIZE: String(CHUNK),
    ASSET_MAX_SIZE: String(SIZE * 2),
  });
  const media = startTs('services/media-worker/src/main.ts', {
    ...common,
    ...(await natsEnv(nats, { kind: 'media-worker' })),
    DATA_DIR: work.path,
  });
  const port = await freePort();
  const gateway = startTs('services/gateway/src/main.ts', {
    ...common,
    ...(await natsEnv(nats, { kind: 'gateway' })),
    ...principalSigningEnv(),
    PORT: String(port),
    HOST: '127.0.0.1',
    JWT_SECRET: secret,
  });
  const tus = startTs('services/gateway/bench/tus-server.ts', {}, [join(work.path, 'tus')]);
  processes.push(assets, media, gateway, tus);
  const tusPort = Number((await waitForLine(tus.child, /listening (\d+)/))[1]);

  const base = `http://127.0.0.1:${port}`;
  const token = await new SignJWT({ roles: [100] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(secret));
  const headers = { token, 'content-type': 'application/json' };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  await waitUntil('gateway and assets service', async () => {
    const res = await fetch(`${base}/api/v1/assets/audio?limit=1`, { headers });
    return res.ok;
  });

  console.error('platform ready');
  const piece = (start: number) =>
    createReadStream(file, { start, end: Math.min(start + CHUNK, SIZE) - 1 });

  // Gateway.
  const plan = await call('POST', '/api/v1/assets/audio', {
    name: 'bench.mp3',
    size: String(SIZE),
    hash,
  });
  const id = plan.id as string;
  let started = performance.now();
  for (let index = 0, offset = 0; offset < SIZE; index++, offset += CHUNK) {
    const res = await fetch(`${base}/api/v1/assets/audio/chunk_file/${id}?index=${index}`, {
      method: 'POST',
      headers: { token, 'content-type': 'application/octet-stream' },
      body: piece(offset),
      duplex: 'half',
    } as RequestInit);
    if (!res.ok) throw new Error(`chunk ${index}: ${res.status} ${await res.text()}`);
  }
  const gatewayMs = performance.now() - started;
  console.error('gateway upload done');

  // tus.
  const tusBase = `http://127.0.0.1:${tusPort}`;
  started = performance.now();
  const created = await fetch(`${tusBase}/files`, {
    method: 'POST',
    headers: { 'tus-resumable': '1.0.0', 'upload-length': String(SIZE) },
  });
  const location = new URL(created.headers.get('location') ?? '', tusBase).toString();
  for (let offset = 0; offset < SIZE; offset += CHUNK) {
    const res = await fetch(location, {
      method: 'PATCH',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
      },
      body: piece(offset),
      duplex: 'half',
    } as RequestInit);
    if (res.status !== 204) throw new Error(`tus PATCH at ${offset}: ${res.status}`);
  }
  const tusMs = performance.now() - started;

  // Merge: the media worker concatenates and verifies; random bytes then fail the mp3 probe,
  // which ends the merge before renditions, so this measures the streaming part alone.
  started = performance.now();
  await call('POST', '/api/v1/assets/audio/merge', { id });
  let merged: Record<string, unknown> = {};
  await waitUntil(
    'merge result',
    async () => {
      merged = (
        (await call('GET', `/api/v1/assets/audio/by_id?id=${id}`)) as {
          asset: Record<string, unknown>;
        }
      ).asset;
      return merged.status !== 'MERGING';
    },
    30 * 60_000,
  );
  const mergeMs = performance.now() - started;

  const sizeMiB = (SIZE / 2 ** 20).toFixed(0);
  console.log(`\nchunk ingest: ${sizeMiB} MiB in ${CHUNK / 2 ** 20} MiB chunks, sequential\n`);
  console.table([
    {
      path: 'gateway → NATS object store',
      'MB/s': mbps(SIZE, gatewayMs).toFixed(1),
      seconds: (gatewayMs / 1000).toFixed(1),
      'peak RSS MiB': (await gateway.peakRssMiB()).toFixed(0),
    },
    {
      path: '@tus/server + file store',
      'MB/s': mbps(SIZE, tusMs).toFixed(1),
      seconds: (tusMs / 1000).toFixed(1),
      'peak RSS MiB': (await tus.peakRssMiB()).toFixed(0),
    },
  ]);
  console.log(`gateway/tus throughput ratio: ${(tusMs / gatewayMs).toFixed(2)}`);
  console.log(
    `merge (concatenate + sha256 + probe): ${mbps(SIZE, mergeMs).toFixed(1)} MB/s, ` +
      `ended ${String(merged.status)}${merged.reason ? ` (${String(merged.reason).slice(0, 80)})` : ''}; ` +
      `media worker peak RSS ${(await media.peakRssMiB()).toFixed(0)} MiB`,
  );
} finally {
  await Promise.all(processes.map((p) => p.stop()));
  await servers.stop();
  await work.remove();
}
