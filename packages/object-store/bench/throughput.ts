/**
 * Put and get of one large object through the filesystem and S3 adapters (S3: a SeaweedFS
 * started here on loopback, as the tests use it). Each adapter runs in a child process of its own,
 * so the peak RSS reported is that adapter's, not the sum of both. Prints one table.
 *
 *   npm run bench                       # 1 GiB, both adapters
 *   BENCH_MIB=256 npm run bench         # a smaller object
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
// The adapters' own modules, not the index: its settings reader pulls in service-kit, whose
// memory would be counted as the adapters'.
import { openFsObjectStore } from '../src/fs.adapter.js';
import type { ObjectStorePort } from '../src/object-store-port.js';
import { openS3ObjectStore } from '../src/s3.adapter.js';

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_MIB ?? 1024) * MiB;
/** What an HTTP request body hands over at a time, roughly. */
const PIECE = 256 * 1024;

interface Figures {
  adapter: string;
  putSeconds: number;
  getSeconds: number;
  peakRssMiB: number;
}

/** The object: one random 16 MiB block repeated, so making it costs nothing measurable. */
const block = randomBytes(16 * MiB);
async function* object(): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < size; at += PIECE) {
    const offset = at % block.byteLength;
    yield block.subarray(offset, offset + Math.min(PIECE, size - at));
  }
}
function digestOfObject(): string {
  const hash = createHash('sha256');
  for (let at = 0; at < size; at += block.byteLength) {
    hash.update(block.subarray(0, Math.min(block.byteLength, size - at)));
  }
  return hash.digest('hex');
}

async function measure(adapter: string, store: ObjectStorePort): Promise<Figures> {
  const sha256 = digestOfObject();
  const key = `bench/${Date.now()}`;
  let started = performance.now();
  await store.put(key, object(), { size, sha256 });
  const putSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const hash = createHash('sha256');
  let read = 0;
  for await (const piece of store.get(key)) {
    hash.update(piece);
    read += piece.byteLength;
  }
  const getSeconds = (performance.now() - started) / 1000;
  if (read !== size || hash.digest('hex') !== sha256) throw new Error(`${adapter}: bytes differ`);
  await store.delete(key);
  return { adapter, putSeconds, getSeconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
}

/** In the child: one adapter, figures as JSON on stdout. */
async function child(adapter: string): Promise<void> {
  let store: ObjectStorePort;
  let directory: string | undefined;
  if (adapter === 'fs') {
    directory = await mkdtemp(join(tmpdir(), 'object-store-bench-'));
    store = await openFsObjectStore({ directory });
  } else {
    const access = JSON.parse(process.env.BENCH_S3!) as {
      endpoint: string;
      region: string;
      accessKeyId: string;
      secretAccessKey: string;
    };
    store = await openS3ObjectStore({
      endpoint: access.endpoint,
      region: access.region,
      bucket: 'bench',
      credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
      forcePathStyle: true,
      createBucket: true,
    });
  }
  try {
    process.stdout.write(JSON.stringify(await measure(adapter, store)));
  } finally {
    await store.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const run = promisify(execFile);
  const script = fileURLToPath(import.meta.url);
  // Only the parent starts the server: the children stay free of the harness's imports.
  const { startS3 } = await import('@media-vault/test-harness');
  const s3 = await startS3({ label: 'bench seaweedfs' });
  const rows: Figures[] = [];
  try {
    for (const adapter of ['fs', 's3']) {
      const { stdout } = await run(process.execPath, [...process.execArgv, script, adapter], {
        env: { ...process.env, BENCH_S3: JSON.stringify(s3) },
        maxBuffer: MiB,
      });
      rows.push(JSON.parse(stdout) as Figures);
    }
  } finally {
    await s3.stop();
  }
  const mbps = (seconds: number) => (size / 1e6 / seconds).toFixed(1);
  const table = [
    ['adapter', 'put MB/s', 'get MB/s', 'peak RSS MiB'],
    ...rows.map((r) => [
      r.adapter === 'fs' ? 'filesystem' : 'S3 (SeaweedFS, loopback)',
      mbps(r.putSeconds),
      mbps(r.getSeconds),
      r.peakRssMiB.toFixed(0),
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\nobject store: put and get of ${size / MiB} MiB, sha256 declared and checked\n`);
  console.log(line(table[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table.slice(1)) console.log(line(row));
}

const adapter = process.argv[2];
await (adapter ? child(adapter) : main());
