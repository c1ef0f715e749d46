/**
 * Sealing and composing against a plain IPFS add and cat of the same bytes, in one run on one
 * throw-away Kubo daemon, every pipeline through the worker's IpfsPort Kubo adapter
 * (createIpfs({ apiUrl }), UNIXFS_IMPORT chunking) and in a process of its own:
 *   seal:     master file (4 MiB reads, one pass, as the agent reads it) → byte counter →
 *             createSealStream (4 MiB segments, AES-256-GCM and the file's SHA-256) → ipfs.add
 *   add:      master file → byte counter → ipfs.add (read in 4 MiB pieces, and in 64 KiB ones)
 *   compose:  ipfs.cat(public block) → byte counter → createOpenStream (tags + sha256) → file
 *   cat:      ipfs.cat(plain file) → byte counter → file
 * Each is run BENCH_ROUNDS times (default 3), seal and its peer in alternating order, with Kubo's
 * garbage collected before every plain add so that no add finds its blocks already stored.
 * Prints the median MB/s of each, the ratios and each process's RSS; then seals a larger master
 * alone and prints its RSS at 25/50/75/100 % of the input and its peak (flat is the goal), next
 * to the same seal with its public block thrown away instead of added, as a control.
 *
 * BENCH_MB sets the master for the comparisons (MiB, default 1024); BENCH_RSS_MB the master for
 * the memory run (default 2048, or twice BENCH_MB when only that is set). Figures are printed,
 * never asserted; the run fails only when bytes do not round-trip (sizes or sha256 differ).
 */
import { createIpfs } from '@media-vault/ipfs';
import { DEFAULT_SEGMENT_SIZE, generateContentKey } from '@media-vault/sealed';
import { makeTempDir, startKubo } from '@media-vault/test-harness';
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256OfFile, writeMasterFile } from './master-file.js';
import type {
  MemoryPoint,
  PipelineMessage,
  PipelineResult,
  PipelineTask,
  SealParams,
} from './pipeline-protocol.js';

const MiB = 2 ** 20;
const envNumber = (name: string): number | undefined =>
  process.env[name] ? Number(process.env[name]) : undefined;
const COMPARE_SIZE = (envNumber('BENCH_MB') ?? 1024) * MiB;
const RSS_SIZE = (envNumber('BENCH_RSS_MB') ?? (envNumber('BENCH_MB') ?? 1024) * 2) * MiB;
const ROUNDS = envNumber('BENCH_ROUNDS') ?? 3;
const WARM_UP_SIZE = Math.min(64 * MiB, COMPARE_SIZE);
const RSS_TARGET = 256e6;

const serviceDir = fileURLToPath(new URL('../', import.meta.url));
const pipelineEntry = fileURLToPath(new URL('./pipeline-process.ts', import.meta.url));

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const toMiB = (bytes: number) => (bytes / MiB).toFixed(0);
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const progress = (line: string) => process.stderr.write(`${line}\n`);

function check(ok: boolean, failure: string): asserts ok {
  if (!ok) throw new Error(`round trip failed: ${failure}`);
}

/** Kubo's own CPU time so far (its Prometheus metrics), so a run can say who spent the cores. */
async function kuboCpuSeconds(apiUrl: string): Promise<number> {
  const res = await fetch(`${apiUrl}/debug/metrics/prometheus`);
  const text = await res.text();
  const line = /^process_cpu_seconds_total (\S+)$/m.exec(text);
  if (!res.ok || !line)
    throw new Error(`Kubo metrics: ${res.status}, no process_cpu_seconds_total`);
  return Number(line[1]);
}

interface Run extends PipelineResult {
  /** Kubo's CPU time during the pipeline. */
  readonly kuboCpuMs: number;
}

let profiles = 0;
/**
 * Runs one pipeline in its own Node process, so only that pipeline's memory is measured, and
 * notes the CPU time Kubo spent meanwhile. With BENCH_CPU_PROF=<dir> each process also writes a
 * V8 CPU profile there (`<kind>-<n>.cpuprofile`, for Chrome DevTools or `bench/cpu-profile.ts`),
 * and the measured span beside it (`<kind>-<n>.cpuprofile.window.json`).
 */
async function runPipeline(task: PipelineTask): Promise<Run> {
  const profileDir = process.env.BENCH_CPU_PROF;
  const profileName = `${task.kind}-${++profiles}.cpuprofile`;
  const profiling = profileDir
    ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', profileName]
    : [];
  const kuboBefore = await kuboCpuSeconds(task.apiUrl);
  const result = await runProcess(task, profiling);
  const kuboCpuMs = ((await kuboCpuSeconds(task.apiUrl)) - kuboBefore) * 1000;
  // Beside the profile: the span the timings cover, so its summary can leave start-up out.
  if (profileDir) {
    await writeFile(join(profileDir, `${profileName}.window.json`), JSON.stringify(result.window));
  }
  return { ...result, kuboCpuMs };
}

function runProcess(task: PipelineTask, nodeFlags: readonly string[]): Promise<PipelineResult> {
  const child = spawn(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', pipelineEntry, JSON.stringify(task)],
    { cwd: serviceDir, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  return new Promise((resolve, reject) => {
    let message: PipelineMessage | undefined;
    child.on('message', (m) => (message = m as PipelineMessage));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (message?.ok && code === 0) return resolve(message.result);
      const why = message && !message.ok ? message.error : 'no report';
      reject(new Error(`${task.kind} process ended (${code ?? signal}): ${why}`));
    });
  });
}

/** A fresh content key every time, as for a real source, so no two seals share a block. */
const sealParams = (plaintextSize: number, sourceUuid: string): SealParams => ({
  contentKey: generateContentKey().toString('hex'),
  sourceUuid,
  plaintextSize,
  segmentSize: DEFAULT_SEGMENT_SIZE,
});

/** Seals `input`, checking that the public block and its recorded digest are what they must be. */
async function sealMaster(apiUrl: string, input: string, seal: SealParams, sha256: string) {
  const result = await runPipeline({ kind: 'seal', apiUrl, input, seal });
  const { added } = result;
  check(result.plaintextSha256 === sha256, `the seal stream hashed ${input} differently`);
  check(
    added !== undefined && added.size === result.publicBlockSize,
    `Kubo took ${added?.size} bytes of a ${result.publicBlockSize}-byte public block`,
  );
  return { ...result, added };
}

/** Drops every unpinned block first, so the add writes all its blocks rather than finding them. */
async function addPlain(apiUrl: string, input: string, size: number, readSize?: number) {
  const gc = await fetch(`${apiUrl}/api/v0/repo/gc`, { method: 'POST' });
  const gcBody = await gc.text();
  if (!gc.ok) throw new Error(`Kubo repo gc: ${gc.status} ${gcBody}`);
  const result = await runPipeline({ kind: 'add', apiUrl, input, size, readSize });
  const { added } = result;
  check(added !== undefined && added.size === size, `Kubo took ${added?.size} of ${size} bytes`);
  return { ...result, added };
}

/** Checks a file written by a cat or compose against the master's sha256, then deletes it. */
async function checkOutput(path: string, sha256: string, what: string) {
  const actual = await sha256OfFile(path);
  check(actual === sha256, `${what} wrote sha256 ${actual}, the master has ${sha256}`);
  await rm(path);
}

/** Runs the two in alternating order from round to round, so neither always goes first. */
async function inTurn<A, B>(round: number, a: () => Promise<A>, b: () => Promise<B>) {
  if (round % 2 === 0) return [await a(), await b()] as const;
  const second = await b();
  return [await a(), second] as const;
}

const kubo = await startKubo();
const work = await makeTempDir('bench-seal');
const file = (name: string) => join(work.path, name);
const ipfs = await createIpfs({ apiUrl: kubo.apiUrl, directory: work.path });
const pinned = async <T extends { added: { cid: string } }>(result: T) => {
  await ipfs.pin(result.added.cid);
  return result;
};

try {
  const apiUrl = kubo.apiUrl;
  const cpu = cpus();
  console.log(
    `\nKubo ${kubo.version}, Node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'CPU'}`,
  );

  progress(`writing masters: ${toMiB(WARM_UP_SIZE)} MiB warm-up, ${toMiB(COMPARE_SIZE)} MiB`);
  const warmUpSha = await writeMasterFile(file('warm-up.bin'), WARM_UP_SIZE, 'warm-up');
  const master = file('master.bin');
  const masterSha = await writeMasterFile(master, COMPARE_SIZE, 'compare');

  // Unmeasured: lets Kubo open its datastore and create block directories first.
  progress('warm-up');
  await addPlain(apiUrl, file('warm-up.bin'), WARM_UP_SIZE);
  await sealMaster(apiUrl, file('warm-up.bin'), sealParams(WARM_UP_SIZE, 'warm-up'), warmUpSha);

  const results = {
    seal: [] as Run[],
    add: [] as Run[],
    addSmallReads: [] as Run[],
    compose: [] as Run[],
    cat: [] as Run[],
  };
  for (let round = 0; round < ROUNDS; round++) {
    progress(`round ${round + 1} of ${ROUNDS}: adds and seal`);
    // The seal stream hands the adapter one 4 MiB segment at a time, so the like-for-like plain
    // add reads 4 MiB pieces too. The fs default (64 KiB) is measured as well: the adapter's cost
    // per chunk is what separates the two.
    const addSmallReads = await addPlain(apiUrl, master, COMPARE_SIZE);
    const seal = sealParams(COMPARE_SIZE, `bench-master-${round}`);
    const [add, sealed] = await inTurn(
      round,
      () => addPlain(apiUrl, master, COMPARE_SIZE, DEFAULT_SEGMENT_SIZE),
      // Pinned, as the agent does, so that the other add's garbage collection leaves it.
      () => sealMaster(apiUrl, master, seal, masterSha).then(pinned),
    );

    progress(`round ${round + 1} of ${ROUNDS}: cat and compose`);
    const [cat, compose] = await inTurn(
      round,
      () =>
        runPipeline({
          kind: 'cat',
          apiUrl,
          cid: add.added.cid,
          output: file('plain.out'),
          size: COMPARE_SIZE,
        }),
      () =>
        runPipeline({
          kind: 'compose',
          apiUrl,
          cid: sealed.added.cid,
          output: file('composed.out'),
          seal,
          publicBlockSize: sealed.added.size,
          plaintextSha256: masterSha,
        }),
    );
    await checkOutput(file('plain.out'), masterSha, 'the plain cat');
    await checkOutput(file('composed.out'), masterSha, 'compose');
    await ipfs.unpin(sealed.added.cid);
    results.seal.push(sealed);
    results.add.push(add);
    results.addSmallReads.push(addSmallReads);
    results.compose.push(compose);
    results.cat.push(cat);
  }
  await rm(master);

  const speed = (runs: readonly Run[]) => median(runs.map((r) => mbps(COMPARE_SIZE, r.ms)));
  // CPU seconds per GB moved, of the pipeline process and of Kubo: on a machine with few cores
  // their sum against the wall time says whether the cores, not the code, set the pace.
  const cpuPerGb = (ms: number) => (ms / 1000 / (COMPARE_SIZE / 1e9)).toFixed(2);
  const row = (path: string, runs: readonly Run[]) => {
    const rates = runs.map((r) => mbps(COMPARE_SIZE, r.ms));
    return {
      path,
      'MB/s': speed(runs).toFixed(1),
      'min–max': `${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)}`,
      'Node CPU s/GB': cpuPerGb(median(runs.map((r) => r.cpuMs))),
      'Kubo CPU s/GB': cpuPerGb(median(runs.map((r) => r.kuboCpuMs))),
      'cores busy': median(runs.map((r) => (r.cpuMs + r.kuboCpuMs) / r.ms)).toFixed(2),
      'peak RSS MiB': toMiB(Math.max(...runs.map((r) => r.memory.highWaterMark))),
    };
  };
  console.log(
    `\nseal and compose vs plain IPFS: ${toMiB(COMPARE_SIZE)} MiB master, ` +
      `${DEFAULT_SEGMENT_SIZE / MiB} MiB segments, Kubo adapter (CIDv1, raw leaves, ` +
      `256 KiB chunks); median of ${ROUNDS}, each pipeline in its own process\n`,
  );
  console.table([
    row('seal: file → seal stream → Kubo add', results.seal),
    row('plain: file (4 MiB reads) → Kubo add', results.add),
    row('plain: file (64 KiB reads) → Kubo add', results.addSmallReads),
    row('compose: Kubo cat → open stream → file', results.compose),
    row('plain: Kubo cat → file', results.cat),
  ]);
  const ratio = (a: readonly Run[], b: readonly Run[]) => (speed(a) / speed(b)).toFixed(2);
  console.log(
    `seal/plain add throughput ratio: ${ratio(results.seal, results.add)} ` +
      `(against 64 KiB reads: ${ratio(results.seal, results.addSmallReads)})`,
  );
  console.log(`compose/plain cat throughput ratio: ${ratio(results.compose, results.cat)}`);
  // One pass: the seal's own cost over plain add is what the seal stream adds on the Node side
  // (AES-GCM and SHA-256 over every byte); Kubo's share should be the same for both.
  const cpuOf = (runs: readonly Run[], of: 'cpuMs' | 'kuboCpuMs') => median(runs.map((r) => r[of]));
  console.log(
    `seal over plain add (4 MiB reads): Node +${cpuPerGb(cpuOf(results.seal, 'cpuMs') - cpuOf(results.add, 'cpuMs'))} ` +
      `CPU s/GB, Kubo ${cpuPerGb(cpuOf(results.seal, 'kuboCpuMs') - cpuOf(results.add, 'kuboCpuMs'))} ` +
      `CPU s/GB, wall +${((median(results.seal.map((r) => r.ms)) - median(results.add.map((r) => r.ms))) / 1000).toFixed(2)} s`,
  );

  progress(`writing ${toMiB(RSS_SIZE)} MiB master for the memory run`);
  const rssSha = await writeMasterFile(file('rss-master.bin'), RSS_SIZE, 'rss');
  progress('seal (memory run)');
  const big = await sealMaster(
    apiUrl,
    file('rss-master.bin'),
    sealParams(RSS_SIZE, 'bench-rss-master'),
    rssSha,
  );
  // The control: the same seal with the public block thrown away, so that what the stream itself
  // holds can be told apart from what the add holds.
  progress('seal, public block discarded (memory control)');
  const control = await runPipeline({
    kind: 'seal',
    apiUrl,
    input: file('rss-master.bin'),
    seal: sealParams(RSS_SIZE, 'bench-rss-master'),
    sink: 'discard',
  });
  check(control.plaintextSha256 === rssSha, 'the seal stream hashed the master differently');
  await rm(file('rss-master.bin'));

  const { memory } = big;
  console.log(
    `\nRSS sealing a ${toMiB(RSS_SIZE)} MiB master, the seal process alone: into Kubo ` +
      `(${mbps(RSS_SIZE, big.ms).toFixed(1)} MB/s) and, as a control, into nothing ` +
      `(${mbps(RSS_SIZE, control.ms).toFixed(1)} MB/s)\n`,
  );
  const point = (name: string, at: MemoryPoint, without: MemoryPoint) => ({
    point: name,
    'RSS MiB': toMiB(at.rss),
    'of which Buffers MiB': toMiB(at.arrayBuffers),
    'control: RSS MiB': toMiB(without.rss),
  });
  const controlQuarters = control.memory.quarters;
  console.table([
    point('connected, nothing read', memory.start, control.memory.start),
    ...memory.quarters.map((at, i) =>
      point(`${(i + 1) * 25} % read`, at, controlQuarters[i] ?? control.memory.end),
    ),
    point('pipeline finished', memory.end, control.memory.end),
    {
      point: 'peak (VmHWM)',
      'RSS MiB': toMiB(memory.highWaterMark),
      'of which Buffers MiB': '',
      'control: RSS MiB': toMiB(control.memory.highWaterMark),
    },
  ]);
  const growth = (report: PipelineResult['memory']) => {
    const first = report.quarters[0] ?? report.start;
    const bytes = (report.quarters.at(-1) ?? report.end).rss - first.rss;
    return `${bytes >= 0 ? '+' : ''}${toMiB(bytes)} MiB`;
  };
  console.log(
    `RSS from 25 % to 100 % read (${toMiB(0.75 * RSS_SIZE)} MiB passing): ${growth(memory)} ` +
      `into Kubo, ${growth(control.memory)} into nothing; peak into Kubo ` +
      `${(memory.highWaterMark / 1e6).toFixed(0)} MB, target ≤ ${RSS_TARGET / 1e6} MB: ` +
      (memory.highWaterMark <= RSS_TARGET ? 'within' : 'over'),
  );
} finally {
  await ipfs.close();
  await kubo.stop();
  await work.remove();
}
