/**
 * `npm run load`: starts the platform (three NATS nodes, two replicas of every service) and runs
 * autocannon with seed 000 and seed 002 traffic against one gateway, then against both, sampling
 * the RSS and CPU of every process the run started; writes the tables into docs/reliability.md.
 *
 * `npm run load -- --soak`: seed 000 and seed 002 traffic together against both gateways for
 * `--duration` (10 minutes by default), the same sampling, and a growth verdict per process.
 *
 *   npm run load -- [--duration 120 | 2m] [--connections 20] [--traffic seed000,seed002]
 *                   [--soak] [--interval 2] [--growth-threshold 1]
 *                   [--dir /tmp/load] [--keep] [--out docs/reliability.md | --out -]
 */
import { makeTempDir } from '@media-vault/test-harness';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { preloadInChildren } from './config.js';
import {
  cpuTable,
  growthOf,
  heapAfterFullGc,
  heapTable,
  soakTable,
  type CpuWindow,
} from './growth.js';
import { signToken } from './http-client.js';
import {
  loadTable,
  parseDuration,
  runLoad,
  soakTrafficTable,
  type LoadRow,
  type Traffic,
} from './load.js';
import { startPlatform, type Platform } from './platform.js';
import { writeSection } from './report.js';
import { ProcessSampler, type Mark } from './sampler.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    connections: { type: 'string', default: '20' },
    traffic: { type: 'string', default: 'seed000,seed002' },
    soak: { type: 'boolean', default: false },
    interval: { type: 'string' },
    'growth-threshold': { type: 'string', default: '1' },
    'gc-log': { type: 'boolean', default: false },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: join(repoRoot, 'docs/reliability.md') },
  },
});
const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};
const soak = values.soak;
const seconds =
  parseDuration(values.duration ?? (soak ? '10m' : '120')) ??
  fail(`--duration takes seconds (600, 600s) or minutes (10m), got "${values.duration}"`);
// A soak is bounded: hours would be a different tool, not this run on a shared machine.
if (seconds > 4 * 3600) fail('--duration is at most 4h');
const connections = Number(values.connections);
if (!Number.isInteger(connections) || connections < 1 || connections > 1000) {
  fail(`--connections takes a whole number from 1 to 1000, got "${values.connections}"`);
}
const intervalSeconds = Number(values.interval ?? (soak ? '2' : '1'));
if (!(intervalSeconds >= 0.2 && intervalSeconds <= 60)) {
  fail(`--interval takes seconds from 0.2 to 60, got "${values.interval}"`);
}
const threshold = Number(values['growth-threshold']);
if (!(threshold > 0)) {
  fail(`--growth-threshold takes MiB per minute above 0, got "${values['growth-threshold']}"`);
}
const traffics = values.traffic.split(',') as Traffic[];
if (traffics.some((t) => t !== 'seed000' && t !== 'seed002')) {
  fail(`--traffic takes seed000 and/or seed002, got "${values.traffic}"`);
}
if (soak && connections < traffics.length) {
  fail('--soak splits --connections over the traffics: give at least one each');
}

const temp = values.dir ? undefined : await makeTempDir('load');
const dir = values.dir ?? temp!.path;
const log = (line: string) =>
  console.log(`[load ${new Date().toISOString().slice(11, 19)}] ${line}`);

const LOAD_GENERATOR = 'load generator';

/** Names a child of this process: a replica by its pid, a server by its command line. */
function namer(platform: Platform) {
  return (pid: number, comm: string, cmdline: string): string | undefined => {
    for (const replicas of Object.values(platform.replicas)) {
      for (const r of replicas) if (r.pid === pid) return r.name;
    }
    if (cmdline.includes('nats-server')) {
      return `nats-${/\/(n\d+)\/nats\.conf/.exec(cmdline)?.[1] ?? pid}`;
    }
    if (comm === 'postgres') return 'postgres';
    if (comm === 'ipfs') return 'kubo';
    // tsx's esbuild helper runs beside the run's own code: part of the load generator.
    if (comm === 'esbuild') return LOAD_GENERATOR;
    return comm;
  };
}

/** The CPU table's columns: replicas of one kind together, the three nats-servers together. */
const CPU_GROUPS = [
  'gateways',
  'tasks + assets',
  'workers',
  'nats',
  'postgres',
  'kubo',
  LOAD_GENERATOR,
] as const;
function cpuGroupOf(name: string): string {
  if (name.startsWith('gateway-')) return 'gateways';
  if (name.startsWith('tasks-') || name.startsWith('assets-')) return 'tasks + assets';
  if (name.startsWith('ipfs-worker-') || name.startsWith('media-worker-')) return 'workers';
  if (name.startsWith('nats-')) return 'nats';
  return name;
}

function cpuWindow(sampler: ProcessSampler, label: string, a: Mark, b: Mark): CpuWindow {
  const cpu = sampler.cpuBetween(a, b);
  const groups: Record<string, number> = {};
  for (const [name, percent] of cpu.byName) {
    const group = cpuGroupOf(name);
    groups[group] = (groups[group] ?? 0) + percent;
  }
  return { label, groups, machineBusyPercent: cpu.machineBusyPercent, cores: cpu.cores };
}

if (values['gc-log']) {
  // --trace-gc is not allowed in NODE_OPTIONS; a preloaded module may set it. Only the services
  // see this: the variable is set after this process started.
  await mkdir(dir, { recursive: true });
  const preload = join(dir, 'trace-gc.mjs');
  await writeFile(
    preload,
    "import { setFlagsFromString } from 'node:v8';\nsetFlagsFromString('--trace-gc');\n",
  );
  preloadInChildren(preload);
}
// Request logs at info would measure the log writer: warn, as a loaded deployment would run.
const platform = await startPlatform({ dir, logLevel: 'warn' });
let code = 0;
// Interrupted: the servers and services are this run's children, stop them rather than leave them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void platform.stop().finally(() => process.exit(130)));
}
const sampler = new ProcessSampler({
  rootPid: process.pid,
  selfName: LOAD_GENERATOR,
  nameOf: namer(platform),
  intervalMs: intervalSeconds * 1000,
});
try {
  const tokens: Record<Traffic, string> = {
    seed000: await signToken(platform.jwtSecret, 'load-studio'),
    seed002: await signToken(platform.jwtSecret, 'load-contributor', [100]),
  };
  const date = new Date().toISOString().slice(0, 10);
  const where =
    `on ${cpus().length} cores shared with other work ` +
    '(the load generator, three nats-servers, Postgres, Kubo and ten service processes all on them)';
  sampler.begin();
  if (soak) {
    const gateways = platform.replicas.gateway;
    log(`soak: ${traffics.join(' + ')} against ${gateways.length} gateways for ${seconds} s`);
    // Progress while it runs: a soak is long, and a growing process should show before the end.
    const progress = setInterval(() => {
      const now = sampler.names().map((n) => `${n} ${sampler.series(n).at(-1)?.miB.toFixed(0)}`);
      log(`RSS MiB: ${now.join(', ')}`);
    }, 60_000);
    const rows = await Promise.all(
      traffics.map((traffic, i) =>
        runLoad({
          traffic,
          gateways,
          token: tokens[traffic],
          seconds,
          // Split as evenly as whole connections go.
          connections:
            Math.floor(connections / traffics.length) + (i < connections % traffics.length ? 1 : 0),
          sampler,
        }),
      ),
    );
    clearInterval(progress);
    await sampler.end();
    for (const row of rows) log(JSON.stringify({ ...row, marks: undefined }));
    const cpu = sampler.cpuBetween(sampler.first(), sampler.last()).byName;
    const processes = sampler.names().map((name) => ({
      name,
      series: sampler.series(name),
      cpuPercent: cpu.get(name) ?? 0,
    }));
    const command = `npm run load -- --soak --duration ${values.duration ?? '10m'} --connections ${connections}${
      values['gc-log'] ? ' --gc-log' : ''
    }${values.traffic === 'seed000,seed002' ? '' : ` --traffic ${values.traffic}`}`;
    const body = [
      `Measured ${date} with \`${command}\` ${where}; RSS and CPU read from \`/proc\` every ${intervalSeconds} s.`,
      '',
      soakTrafficTable(rows),
      '',
      `A process **grows** when the least-squares slope of its RSS over the second half of the run is ${threshold} MiB/min or more.`,
      '',
      soakTable(processes, sampler.first().t, threshold),
      '',
      cpuTable(
        [cpuWindow(sampler, 'soak, 2 gateways', sampler.first(), sampler.last())],
        CPU_GROUPS,
      ),
    ].join('\n');
    const heaps = values['gc-log']
      ? await Promise.all(
          Object.values(platform.replicas)
            .flat()
            .map(async (r) => ({
              name: r.name,
              series: heapAfterFullGc(
                await readFile(join(dir, 'logs', `${r.name}.log`), 'utf8').catch(() => ''),
              ),
            })),
        )
      : [];
    const report = heaps.length
      ? [
          body,
          '',
          "The heap each full collection left (`--trace-gc`), over the services' whole lives:",
          '',
          heapTable(heaps, threshold),
        ].join('\n')
      : body;
    if (values.out === '-') console.log(report);
    else await writeSection(values.out, 'soak', report);
    const grown = processes.filter((p) => growthOf(p.series, threshold).verdict === 'grows');
    if (grown.length) log(`growing: ${grown.map((p) => p.name).join(', ')}`);
  } else {
    const rows: LoadRow[] = [];
    for (const traffic of traffics) {
      for (const gateways of [platform.replicas.gateway.slice(0, 1), platform.replicas.gateway]) {
        log(`${traffic} against ${gateways.length} gateway(s) for ${seconds} s`);
        const row = await runLoad({
          traffic,
          gateways,
          token: tokens[traffic],
          seconds,
          connections,
          sampler,
        });
        log(JSON.stringify({ ...row, marks: undefined }));
        rows.push(row);
      }
    }
    await sampler.end();
    const command = `npm run load -- --duration ${seconds} --connections ${connections}${
      values.traffic === 'seed000,seed002' ? '' : ` --traffic ${values.traffic}`
    }`;
    const body = [
      `Measured ${date} with \`${command}\` ${where}.`,
      '',
      loadTable(rows),
      '',
      'CPU over each row, from `/proc/<pid>/stat` (% of one core) and `/proc/stat` (machine busy, % of all cores):',
      '',
      cpuTable(
        rows.map((r) =>
          cpuWindow(
            sampler,
            `${r.traffic}, ${r.gateways} gateway${r.gateways > 1 ? 's' : ''}`,
            r.marks[0],
            r.marks[1],
          ),
        ),
        CPU_GROUPS,
      ),
    ].join('\n');
    if (values.out === '-') console.log(body);
    else await writeSection(values.out, 'load', body);
  }
} catch (err) {
  log(`the run failed: ${(err as Error).stack}`);
  code = 1;
} finally {
  await sampler.end().catch(() => undefined);
  await platform.stop();
  if (temp && !values.keep) await temp.remove();
}
process.exit(code);
