/**
 * Where a pipeline process spent its CPU: reads the V8 CPU profiles that `BENCH_CPU_PROF=<dir>
 * npm run bench` wrote (`<kind>-<n>.cpuprofile`) and prints, for each kind, the share of sampled
 * time by owner (this repository, each npm package, Node's own modules, V8's garbage collector
 * and native code) and the functions with the most self time.
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

const dir = process.argv[2];
const top = Number(process.argv[3] ?? 12);
if (!dir) {
  console.error('usage: tsx bench/cpu-profile.ts <dir of .cpuprofile files> [top]');
  process.exit(2);
}

const byKind = new Map<
  string,
  { owners: Map<string, number>; functions: Map<string, number>; total: number }
>();
for (const name of (await readdir(dir)).filter((n) => n.endsWith('.cpuprofile')).sort()) {
  const kind = name.replace(/-\d+\.cpuprofile$/, '');
  const profile = JSON.parse(await readFile(join(dir, name), 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const entry = byKind.get(kind) ?? { owners: new Map(), functions: new Map(), total: 0 };
  byKind.set(kind, entry);
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    const us = profile.timeDeltas[i] ?? 0;
    if (!frame || frame.functionName === '(idle)') return;
    entry.total += us;
    const owner = ownerOf(frame);
    entry.owners.set(owner, (entry.owners.get(owner) ?? 0) + us);
    const where = frame.url ? ` ${basename(frame.url)}:${frame.lineNumber + 1}` : '';
    const fn = `${frame.functionName || '(anonymous)'}${where}`;
    entry.functions.set(fn, (entry.functions.get(fn) ?? 0) + us);
  });
}

const share = (us: number, total: number) => `${((us / total) * 100).toFixed(1)} %`;
const ranked = (m: Map<string, number>, n: number) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
for (const [kind, { owners, functions, total }] of byKind) {
  console.log(`\n${kind}: ${(total / 1e6).toFixed(2)} s of CPU sampled (idle left out)`);
  console.table(ranked(owners, 10).map(([owner, us]) => ({ owner, share: share(us, total) })));
  console.table(
    ranked(functions, top).map(([fn, us]) => ({ 'self time in': fn, share: share(us, total) })),
  );
}
