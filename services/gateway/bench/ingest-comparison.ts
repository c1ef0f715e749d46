/**
 * The chunk-ingest comparison both ingest benches run, the staging store and the tus peer being
 * theirs to choose: the same bytes through the gateway (POST chunk_file, one command per chunk)
 * and through a tus server, in 5 MiB chunks.
 * 1. `rounds` sequential uploads of `size` bytes, the peers taking turns at going first; medians
 *    and their ratios. An optional second tus peer (`durableTus`) makes each PATCH durable before
 *    its reply, as the gateway does; the plain tus peer stays the headline.
 * 2. The gateway's peak RSS once ready, after a small upload and after the full-size rounds (flat
 *    in size).
 * 3. `concurrent` uploads of `concurrentSize` at once: aggregate MB/s and the p99 latency of one
 *    chunk request, for both.
 * 4. The merge of one uploaded file (the media worker reads the chunks back, concatenates, hashes,
 *    probes; random bytes fail the probe, which ends the merge before renditions).
 * BENCH_CPU_PROF=<dir> writes the gateway's CPU profile there.
 */
import {
  createDatabase,
  freePort,
  natsAccess,
  natsEnv,
  principalSigningEnv,
  principalVerifyEnv,
  uniqueName,
  type StartedServers,
} from '@media-vault/test-harness';
import { SignJWT } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import {
  startBuilt,
  startTs,
  waitForLine,
  waitUntil,
  type BenchProcess,
} from './bench-processes.js';

export interface IngestComparison {
  /** Printed above the table, e.g. where the bytes land. */
  readonly title: string;
  readonly gatewayPath: string;
  readonly tusPath: string;
  readonly size: number;
  readonly small: number;
  readonly servers: StartedServers;
  readonly workDir: string;
  /** OBJECT_STORE and its settings, shared by the gateway, the assets service and the worker. */
  readonly staging: Record<string, string>;
  readonly tus: TusProcess;
  /** Empties the tus peer's storage between rounds. */
  clearTus(): Promise<void>;
  /** A tus peer whose writes are flushed before each reply, printed beside the plain one. */
  readonly durableTus?: TusProcess & { readonly path: string; clear(): Promise<void> };
}

interface TusProcess {
  readonly entry: string;
  readonly env?: Record<string, string>;
  readonly args?: string[];
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 16);
const CONCURRENT_SIZE = Number(process.env.BENCH_CONCURRENT_MB ?? 64) * 1024 * 1024;
const CHUNK = 5 * 1024 * 1024;
const secret = 'bench-secret-0123456789abcdef';
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.99) - 1]!;

/** The same bytes for both peers, made once; smaller uploads read a prefix of it. */
async function writeInput(file: string, sizes: number[]): Promise<Map<number, string>> {
  const total = Math.max(...sizes);
  const hashes = new Map<number, string>();
  const hasher = createHash('sha256');
  const out = createWriteStream(file);
  for (let written = 0; written < total;) {
    const piece = randomBytes(Math.min(4 * 1024 * 1024, total - written));
    hasher.update(piece);
    if (!out.write(piece)) await once(out, 'drain');
    written += piece.length;
    if (sizes.includes(written)) hashes.set(written, hasher.copy().digest('hex'));
  }
  out.end();
  await once(out, 'finish');
  return hashes;
}

export async function runIngestComparison(opts: IngestComparison): Promise<void> {
  const { size: SIZE, small: SMALL } = opts;
  const processes: BenchProcess[] = [];
  try {
    const file = join(opts.workDir, 'input.bin');
    const hashes = await writeInput(file, [SIZE, SMALL, CONCURRENT_SIZE]);
    const nats = natsAccess(opts.servers.urls);
    const common = { LOG_LEVEL: 'warn', HEALTH_PORT: '0', ...opts.staging };
    const assets = startTs('services/assets/src/main.ts', {
      ...common,
      ...(await natsEnv(nats, { kind: 'assets' })),
      ...principalVerifyEnv(),
      DATABASE_URL: await createDatabase(opts.servers.urls.postgresUrl!, uniqueName('bench')),
      ASSET_CHUNK_SIZE: String(CHUNK),
      ASSET_MAX_SIZE: String(Math.max(SIZE, SMALL, CONCURRENT_SIZE) * 2),
    });
    const media = startTs('services/media-worker/src/main.ts', {
      ...common,
      ...(await natsEnv(nats, { kind: 'media-worker' })),
      DATA_DIR: opts.workDir,
    });
    processes.push(assets, media);
    const port = await freePort();
    const gateway = await startBuilt(
      'gateway',
      {
        ...common,
        ...(await natsEnv(nats, { kind: 'gateway' })),
        ...principalSigningEnv(),
        DATA_DIR: opts.workDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        JWT_SECRET: secret,
      },
      process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : [],
    );
    processes.push(gateway);
    const startTus = async (peer: TusProcess) => {
      const started = startTs(peer.entry, peer.env ?? {}, peer.args ?? []);
      processes.push(started);
      const tusPort = Number((await waitForLine(started.child, /listening (\d+)/))[1]);
      return { process: started, base: `http://127.0.0.1:${tusPort}` };
    };
    const tusPeers = [{ ...(await startTus(opts.tus)), path: opts.tusPath, clear: opts.clearTus }];
    if (opts.durableTus) {
      const { path, clear } = opts.durableTus;
      tusPeers.push({ ...(await startTus(opts.durableTus)), path, clear });
    }

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
        ...(body ? { headers, body: JSON.stringify(body) } : { headers: { token } }),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<Record<string, unknown>>;
    };
    await waitUntil('gateway and assets service', async () => {
      const res = await fetch(`${base}/api/v1/assets/audio?limit=1`, { headers });
      return res.ok;
    });
    console.error('platform ready');
    const rssReady = await gateway.peakRssMiB();
    const piece = (start: number, size: number) =>
      createReadStream(file, { start, end: Math.min(start + CHUNK, size) - 1 });

    /** One upload through the gateway; returns its asset id and each chunk request's latency. */
    let uploads = 0;
    const viaGateway = async (size: number) => {
      const plan = await call('POST', '/api/v1/assets/audio', {
        name: `bench-${++uploads}.mp3`,
        size: String(size),
        hash: hashes.get(size),
      });
      const id = plan.id as string;
      const latencies: number[] = [];
      for (let index = 0, offset = 0; offset < size; index++, offset += CHUNK) {
        const t0 = performance.now();
        const res = await fetch(`${base}/api/v1/assets/audio/chunk_file/${id}?index=${index}`, {
          method: 'POST',
          headers: { token, 'content-type': 'application/octet-stream' },
          body: piece(offset, size),
          duplex: 'half',
        } as RequestInit);
        if (!res.ok) throw new Error(`chunk ${index}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
      }
      return { id, latencies };
    };

    const viaTus = async (tusBase: string, size: number) => {
      const latencies: number[] = [];
      const created = await fetch(`${tusBase}/files`, {
        method: 'POST',
        headers: { 'tus-resumable': '1.0.0', 'upload-length': String(size) },
      });
      if (created.status !== 201) throw new Error(`tus POST: ${created.status}`);
      const location = new URL(created.headers.get('location') ?? '', tusBase).toString();
      for (let offset = 0; offset < size; offset += CHUNK) {
        const t0 = performance.now();
        const res = await fetch(location, {
          method: 'PATCH',
          headers: {
            'tus-resumable': '1.0.0',
            'upload-offset': String(offset),
            'content-type': 'application/offset+octet-stream',
          },
          body: piece(offset, size),
          duplex: 'half',
        } as RequestInit);
        if (res.status !== 204) throw new Error(`tus PATCH at ${offset}: ${res.status}`);
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
      }
      return { latencies };
    };
    // Neither peer's storage grows between rounds: the gateway's drafts are deleted (their
    // staged chunks go with them), tus's uploads removed.
    const clearGateway = async (id: string) => call('DELETE', `/api/v1/assets/audio/drafts/${id}`);
    const timed = async <T>(run: () => Promise<T>) => {
      const t0 = performance.now();
      const result = await run();
      return { ms: performance.now() - t0, result };
    };

    // 2a. A small upload first: the gateway's memory after it, to compare with after the rounds.
    const small = await viaGateway(SMALL);
    await clearGateway(small.id);
    const rssSmall = await gateway.peakRssMiB();

    // 1. Sequential rounds, the peers taking turns at going first.
    const gatewayMs: number[] = [];
    const tusMs = tusPeers.map(() => [] as number[]);
    let mergeId = '';
    for (let round = 0; round < ROUNDS; round++) {
      const runGateway = async () => {
        const { ms, result } = await timed(() => viaGateway(SIZE));
        gatewayMs.push(ms);
        if (round === ROUNDS - 1) mergeId = result.id;
        else await clearGateway(result.id);
      };
      const runs = [
        runGateway,
        ...tusPeers.map((peer, i) => async () => {
          tusMs[i]!.push((await timed(() => viaTus(peer.base, SIZE))).ms);
          await peer.clear();
        }),
      ];
      for (let turn = 0; turn < runs.length; turn++) {
        await runs[(round + turn) % runs.length]!();
      }
      console.error(
        `round ${round + 1}: gateway ${mbps(SIZE, gatewayMs.at(-1)!).toFixed(1)} MB/s, ` +
          tusPeers
            .map((peer, i) => `${peer.path} ${mbps(SIZE, tusMs[i]!.at(-1)!).toFixed(1)} MB/s`)
            .join(', '),
      );
    }
    const rssFull = await gateway.peakRssMiB();

    // 4. Merge.
    const started = performance.now();
    await call('POST', '/api/v1/assets/audio/merge', { id: mergeId });
    let merged: Record<string, unknown> = {};
    await waitUntil(
      'merge result',
      async () => {
        merged = (
          (await call('GET', `/api/v1/assets/audio/by_id?id=${mergeId}`)) as {
            asset: Record<string, unknown>;
          }
        ).asset;
        return merged.status !== 'MERGING';
      },
      30 * 60_000,
    );
    const mergeMs = performance.now() - started;
    await clearGateway(mergeId);

    // 3. Many uploads at once, gateway then each tus peer.
    const concurrently = async <R extends { latencies: number[] }>(
      one: (size: number) => Promise<R>,
    ) => {
      const t0 = performance.now();
      const results = await Promise.all(
        Array.from({ length: CONCURRENT }, () => one(CONCURRENT_SIZE)),
      );
      const ms = performance.now() - t0;
      return { ms, latencies: results.flatMap((r) => r.latencies), results };
    };
    const manyGateway = await concurrently(viaGateway);
    for (const r of manyGateway.results) await clearGateway(r.id);
    const manyTus: { ms: number; latencies: number[] }[] = [];
    for (const peer of tusPeers) {
      manyTus.push(await concurrently((size) => viaTus(peer.base, size)));
      await peer.clear();
    }
    const rssMany = await gateway.peakRssMiB();
    const tusRss = await Promise.all(tusPeers.map((peer) => peer.process.peakRssMiB()));

    const sizeMiB = (SIZE / 2 ** 20).toFixed(0);
    const all = CONCURRENT * CONCURRENT_SIZE;
    const manyColumn = `${CONCURRENT}×${CONCURRENT_SIZE / 2 ** 20} MiB MB/s`;
    console.log(
      `\n${opts.title}: ${sizeMiB} MiB in ${CHUNK / 2 ** 20} MiB chunks, ` +
        `${ROUNDS} rounds, each peer first in turn (medians)\n`,
    );
    const row = (
      path: string,
      roundsMs: number[],
      many: { ms: number; latencies: number[] },
      rss: number,
    ) => ({
      path,
      'MB/s': mbps(SIZE, median(roundsMs)).toFixed(1),
      rounds: roundsMs.map((ms) => mbps(SIZE, ms).toFixed(1)).join(' / '),
      [manyColumn]: mbps(all, many.ms).toFixed(1),
      'p99 chunk ms': p99(many.latencies).toFixed(0),
      'peak RSS MiB': rss.toFixed(0),
    });
    console.table([
      row(opts.gatewayPath, gatewayMs, manyGateway, rssMany),
      ...tusPeers.map((peer, i) => row(peer.path, tusMs[i]!, manyTus[i]!, tusRss[i]!)),
    ]);
    tusPeers.forEach((peer, i) => {
      console.log(
        `gateway vs ${peer.path}: sequential ${(median(tusMs[i]!) / median(gatewayMs)).toFixed(2)}×, ` +
          `${CONCURRENT} at once ${(manyTus[i]!.ms / manyGateway.ms).toFixed(2)}×`,
      );
    });
    console.log(
      `gateway peak RSS: ${rssReady.toFixed(0)} MiB once ready, ` +
        `${rssSmall.toFixed(0)} MiB after ${SMALL / 2 ** 20} MiB, ` +
        `${rssFull.toFixed(0)} MiB after ${sizeMiB} MiB uploads, ` +
        `${rssMany.toFixed(0)} MiB after ${CONCURRENT} at once`,
    );
    console.log(
      `merge (read back + concatenate + sha256 + probe): ${mbps(SIZE, mergeMs).toFixed(1)} MB/s, ` +
        `ended ${String(merged.status)}${merged.reason ? ` (${String(merged.reason).slice(0, 80)})` : ''}; ` +
        `media worker peak RSS ${(await media.peakRssMiB()).toFixed(0)} MiB`,
    );
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}
