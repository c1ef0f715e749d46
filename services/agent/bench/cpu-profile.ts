/**
 * Where a pipeline process spent its CPU: reads the V8 CPU profiles that `BENCH_CPU_PROF=<dir>
 * npm run bench` wrote (`<kind>-<n>.cpuprofile`) and prints, for each kind, the share of sampled
 * time by activity (cipher, SHA-256, buffer copies, garbage collection, system calls, HTTP
 * client, stream plumbing; process start-up apart, since the bench's timings leave it out), by
 * owner (this repository, each npm package, Node's own modules, V8's garbage collector and native
 * code) and the functions with the most self time. Kubo's CPU is in the bench's own table.
 *
 *   npx tsx bench/cpu-profile.ts <dir> [top functions, default 12]
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}
interface CpuProfile {
  /** µs on the monotonic clock; each sample's time is the sum of the deltas up to it. */
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Who a frame belongs to: V8's pseudo-frames, Node's modules, an npm package, or ours. */
function ownerOf(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (frame.url.startsWith('node:')) return 'node: built-ins';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
  if (pkg) return pkg[1]!;
  return 'this repository';
}

const STARTUP = /\/tsx\/|\/esbuild\/|^node:internal\/(modules|bootstrap|source_map)\//;
const STARTUP_NATIVE = new Set(['compileSourceTextModule', 'internalModuleStat', 'readFileUtf8']);

/** What a frame was doing, by the module it is in; native frames without a module are calls. */
function activityOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (STARTUP.test(url) || STARTUP_NATIVE.has(functionName)) return 'process start-up';
  if (!url) {
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(program)') return '(program: V8 and libuv)';
    return 'native calls: file and socket I/O';
  }
  if (url === 'node:internal/crypto/cipher') return 'AES-256-GCM (cipher)';
  if (url === 'node:internal/crypto/hash') return 'SHA-256';
  if (url === 'node:buffer' || url === 'node:internal/buffer') return 'buffer copies, allocation';
  if (/undici|^node:(_http|http|https|net|internal\/http)/.test(url)) return 'HTTP client';
  if (
    /^node:(stream|internal\/streams|internal\/webstreams|internal\/process\/task_queues)/.test(url)
  )
    return 'stream plumbing';
  if (url.startsWith('node:')) return 'other Node built-ins';
  return ownerOf(frame) === 'this repository' ? 'this repository' : 'npm packages';
}

const dir = process.argv[2];
const top = Number(process.argv[3] ?? 12);
if (!dir) {
  console.error('usage: tsx bench/cpu-profile.ts <dir of .cpuprofile files> [top]');
  process.exit(2);
}

const byKind = new Map<
  string,
  {
    activities: Map<string, number>;
    owners: Map<string, number>;
    functions: Map<string, number>;
    total: number;
  }
>();
/** The span the bench timed (seal-compose.ts writes it beside the profile), if there is one. */
async function measuredWindow(profilePath: string) {
  try {
    return JSON.parse(await readFile(`${profilePath}.window.json`, 'utf8')) as {
      startUs: number;
      endUs: number;
    };
  } catch {
    return undefined;
  }
}

let windowed = 0;
for (const name of (await readdir(dir)).filter((n) => n.endsWith('.cpuprofile')).sort()) {
  const kind = name.replace(/-\d+\.cpuprofile$/, '');
  const profile = JSON.parse(await readFile(join(dir, name), 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const entry = byKind.get(kind) ?? {
    activities: new Map(),
    owners: new Map(),
    functions: new Map(),
    total: 0,
  };
  byKind.set(kind, entry);
  const window = await measuredWindow(join(dir, name));
  if (window) windowed++;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (window && (at < window.startUs || at > window.endUs)) return;
    if (!frame || frame.functionName === '(idle)') return;
    entry.total += us;
    const activity = activityOf(frame);
    entry.activities.set(activity, (entry.activities.get(activity) ?? 0) + us);
    const owner = ownerOf(frame);
    entry.owners.set(owner, (entry.owners.get(owner) ?? 0) + us);
    const where = frame.url ? ` ${basename(frame.url)}:${frame.lineNumber + 1}` : '';
    const fn = `${frame.functionName || '(anonymous)'}${where}`;
    entry.functions.set(fn, (entry.functions.get(fn) ?? 0) + us);
  });
}

console.log(
  windowed
    ? `${windowed} profiles cut to the span the bench timed; start-up left is what ran inside it`
    : 'no .window.json beside the profiles: the figures include process start-up',
);
const share = (us: number, total: number) => `${((us / total) * 100).toFixed(1)} %`;
const ranked = (m: Map<string, number>, n: number) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
for (const [kind, { activities, owners, functions, total }] of byKind) {
  const startUp = activities.get('process start-up') ?? 0;
  const piped = total - startUp;
  console.log(
    `\n${kind}: ${(total / 1e6).toFixed(2)} s of CPU sampled (idle left out), of which ` +
      `${(startUp / 1e6).toFixed(2)} s process start-up; shares of the other ${(piped / 1e6).toFixed(2)} s:`,
  );
  console.table(
    ranked(activities, 20)
      .filter(([activity]) => activity !== 'process start-up')
      .map(([activity, us]) => ({ activity, share: share(us, piped) })),
  );
  console.table(ranked(owners, 10).map(([owner, us]) => ({ owner, share: share(us, total) })));
  console.table(
    ranked(functions, top).map(([fn, us]) => ({ 'self time in': fn, share: share(us, total) })),
  );
}
