/** One RSS reading of a process (or group), at `t` ms since the run began. */
export interface RssPoint {
  readonly t: number;
  readonly miB: number;
}

export interface LinearFit {
  /** Change of y per unit of x. */
  readonly slope: number;
  readonly intercept: number;
  /** Share of y's variance the line explains (1: on the line; 0: none; 1 also when y is constant). */
  readonly r2: number;
}

/** Ordinary least squares of y on x. */
export function linearFit(points: readonly { x: number; y: number }[]): LinearFit {
  const n = points.length;
  if (n < 2) throw new Error('a fit needs at least two points');
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.x;
    sy += p.y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
    syy += (p.y - my) ** 2;
  }
  if (sxx === 0) throw new Error('a fit needs at least two distinct x');
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

export type Verdict = 'flat' | 'grows' | 'too short';

export interface Growth {
  /** Slope of RSS over the second half of the run, MiB per minute. */
  readonly slopeMiBPerMin: number;
  readonly r2: number;
  readonly verdict: Verdict;
}

/**
 * Whether a process grows: the least-squares slope of its RSS over the second half of the run
 * (the first half is the warm-up: heaps, caches and pools fill to their working size). At or
 * above `thresholdMiBPerMin` it grows. Fewer than `minPoints` readings in the second half say
 * nothing either way.
 */
export function growthOf(
  series: readonly RssPoint[],
  thresholdMiBPerMin: number,
  minPoints = 5,
): Growth {
  if (series.length === 0)
    return { slopeMiBPerMin: Number.NaN, r2: Number.NaN, verdict: 'too short' };
  const first = series[0]!.t;
  const last = series.at(-1)!.t;
  const half = series.filter((p) => p.t >= first + (last - first) / 2);
  if (half.length < minPoints || half[0]!.t === half.at(-1)!.t) {
    return { slopeMiBPerMin: Number.NaN, r2: Number.NaN, verdict: 'too short' };
  }
  const fit = linearFit(half.map((p) => ({ x: p.t / 60_000, y: p.miB })));
  return {
    slopeMiBPerMin: fit.slope,
    r2: fit.r2,
    verdict: fit.slope >= thresholdMiBPerMin ? 'grows' : 'flat',
  };
}

/** Mean of each whole or partial minute from `start` (ms), as the per-minute column shows it. */
export function perMinute(series: readonly RssPoint[], start: number): number[] {
  const sums: number[] = [];
  const counts: number[] = [];
  for (const p of series) {
    const m = Math.floor((p.t - start) / 60_000);
    if (m < 0) continue;
    sums[m] = (sums[m] ?? 0) + p.miB;
    counts[m] = (counts[m] ?? 0) + 1;
  }
  const out: number[] = [];
  for (let m = 0; m < sums.length; m++) out.push(counts[m] ? sums[m]! / counts[m]! : Number.NaN);
  return out;
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * A sparkline of `values` on a scale at least `minSpanMiB` tall (centred on the values), so a
 * flat process does not look like a mountain range when it moves by a few MiB.
 */
export function sparkline(values: readonly number[], minSpanMiB: number): string {
  const real = values.filter((v) => !Number.isNaN(v));
  if (real.length === 0) return '';
  let lo = Math.min(...real);
  let hi = Math.max(...real);
  if (hi - lo < minSpanMiB) {
    const mid = (hi + lo) / 2;
    lo = mid - minSpanMiB / 2;
    hi = mid + minSpanMiB / 2;
  }
  return values
    .map((v) =>
      Number.isNaN(v)
        ? ' '
        : BARS[Math.min(BARS.length - 1, Math.floor(((v - lo) / (hi - lo)) * BARS.length))]!,
    )
    .join('');
}

export interface SoakProcessRow {
  readonly name: string;
  readonly series: readonly RssPoint[];
  /** Mean CPU over the run, in % of one core. */
  readonly cpuPercent: number;
}

const fmt = (v: number, digits = 1) => (Number.isNaN(v) ? '–' : v.toFixed(digits));

/** The soak's per-process table: RSS at start/end/max, per minute, slope and verdict, CPU. */
export function soakTable(
  rows: readonly SoakProcessRow[],
  start: number,
  thresholdMiBPerMin: number,
): string {
  const lines = [
    '| process | RSS MiB start → end (max) | RSS per minute (MiB) | | slope, 2nd half (MiB/min) | R² | verdict | CPU (% of a core) |',
    '| ------- | ------------------------- | -------------------- | - | ------------------------: | -: | ------- | ----------------: |',
  ];
  for (const r of rows) {
    const g = growthOf(r.series, thresholdMiBPerMin);
    const minutes = perMinute(r.series, start);
    const values = r.series.map((p) => p.miB);
    lines.push(
      `| ${r.name} | ${fmt(values[0] ?? Number.NaN)} → ${fmt(values.at(-1) ?? Number.NaN)} (${fmt(
        values.length ? Math.max(...values) : Number.NaN,
      )}) | ${minutes.map((v) => fmt(v, 0)).join(' ')} | ${sparkline(minutes, 20)} | ${fmt(
        g.slopeMiBPerMin,
        2,
      )} | ${fmt(g.r2, 2)} | ${g.verdict} | ${fmt(r.cpuPercent, 0)} |`,
    );
  }
  return lines.join('\n');
}

/** CPU of each group over a window, % of one core, and the machine's busy share of all cores. */
export interface CpuWindow {
  readonly label: string;
  readonly groups: Readonly<Record<string, number>>;
  readonly machineBusyPercent: number;
  readonly cores: number;
}

/**
 * One row per window: each group's CPU (% of one core), what the platform and load generator
 * used together, what the whole machine was busy with (% of all cores) and what that leaves to
 * other work on the machine.
 */
export function cpuTable(windows: readonly CpuWindow[], groups: readonly string[]): string {
  const head = ['run', ...groups, 'ours (cores)', 'machine busy', 'other work (cores)'];
  const lines = [
    `| ${head.join(' | ')} |`,
    `| --- | ${head
      .slice(1)
      .map(() => '--:')
      .join(' | ')} |`,
  ];
  for (const w of windows) {
    const ours = Object.values(w.groups).reduce((a, b) => a + b, 0) / 100;
    const machine = (w.machineBusyPercent / 100) * w.cores;
    lines.push(
      `| ${w.label} | ${groups.map((g) => `${fmt(w.groups[g] ?? 0, 0)} %`).join(' | ')} | ${fmt(
        ours,
        2,
      )} | ${fmt(w.machineBusyPercent, 0)} % | ${fmt(Math.max(0, machine - ours), 2)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The heap left after each full collection, from a process' `--trace-gc` lines (`… 61234 ms:
 * Mark-Compact 150.3 (170.2) -> 90.1 (160.5) MB, …`): `t` is the line's ms since the process
 * started. What a full collection leaves is what the program still holds, so a leak shows there
 * as a rising floor even where RSS only follows V8 growing and shrinking its heap.
 */
export function heapAfterFullGc(log: string): RssPoint[] {
  const out: RssPoint[] = [];
  for (const m of log.matchAll(
    /^\[\d+:0x[0-9a-f]+\]\s+(\d+) ms: Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/gm,
  )) {
    out.push({ t: Number(m[1]), miB: Number(m[2]) });
  }
  return out;
}

/** The soak's heap table: per node process, the heap after full collections, judged as RSS is. */
export function heapTable(
  rows: readonly { readonly name: string; readonly series: readonly RssPoint[] }[],
  thresholdMiBPerMin: number,
): string {
  const lines = [
    '| process | full collections | heap after them, MiB: first → last (min, max) | slope, 2nd half (MiB/min) | R² | verdict |',
    '| ------- | ---------------: | --------------------------------------------- | ------------------------: | -: | ------- |',
  ];
  for (const r of rows) {
    const v = r.series.map((p) => p.miB);
    const g = growthOf(r.series, thresholdMiBPerMin);
    lines.push(
      `| ${r.name} | ${v.length} | ${fmt(v[0] ?? Number.NaN)} → ${fmt(v.at(-1) ?? Number.NaN)} (${fmt(
        v.length ? Math.min(...v) : Number.NaN,
      )}, ${fmt(v.length ? Math.max(...v) : Number.NaN)}) | ${fmt(g.slopeMiBPerMin, 2)} | ${fmt(g.r2, 2)} | ${g.verdict} |`,
    );
  }
  return lines.join('\n');
}
