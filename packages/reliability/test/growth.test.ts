import { describe, expect, it } from 'vitest';
import {
  cpuTable,
  growthOf,
  heapAfterFullGc,
  heapTable,
  linearFit,
  perMinute,
  soakTable,
  sparkline,
  type RssPoint,
} from '../src/growth.js';

/** A reading every 10 s for `minutes`, RSS from `f(minute)`. */
const series = (minutes: number, f: (min: number) => number): RssPoint[] =>
  Array.from({ length: minutes * 6 + 1 }, (_, i) => ({ t: i * 10_000, miB: f(i / 6) }));

describe('linearFit', () => {
  it.each([
    {
      points: [
        [0, 1],
        [1, 3],
        [2, 5],
      ],
      slope: 2,
      intercept: 1,
      r2: 1,
    },
    {
      points: [
        [0, 4],
        [1, 4],
        [2, 4],
      ],
      slope: 0,
      intercept: 4,
      r2: 1,
    },
    {
      points: [
        [0, 0],
        [1, 1],
        [2, 0],
        [3, 1],
      ],
      slope: 0.2,
      intercept: 0.2,
      r2: 0.2,
    },
    {
      points: [
        [0, 10],
        [2, 6],
      ],
      slope: -2,
      intercept: 10,
      r2: 1,
    },
  ])('fits $points', ({ points, slope, intercept, r2 }) => {
    const fit = linearFit(points.map(([x, y]) => ({ x: x!, y: y! })));
    expect(fit.slope).toBeCloseTo(slope, 9);
    expect(fit.intercept).toBeCloseTo(intercept, 9);
    expect(fit.r2).toBeCloseTo(r2, 9);
  });

  it('needs two distinct x', () => {
    expect(() => linearFit([{ x: 1, y: 1 }])).toThrow(/two points/);
    expect(() =>
      linearFit([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toThrow(/distinct/);
  });
});

describe('growthOf', () => {
  it.each([
    // A leak of 3 MiB a minute from the start.
    { name: 'steady leak', s: series(10, (m) => 200 + 3 * m), slope: 3, verdict: 'grows' },
    // Warm-up to 300 MiB in the first half, then flat: the first half is not judged.
    {
      name: 'warm-up then flat',
      s: series(10, (m) => (m < 5 ? 200 + 20 * m : 300)),
      slope: 0,
      verdict: 'flat',
    },
    // A GC sawtooth (20 MiB, a cycle a minute) around a flat level.
    {
      name: 'sawtooth',
      s: series(10, (m) => 280 + 20 * (m % 1)),
      slope: 0,
      verdict: 'flat',
      tolerance: 0.5,
    },
    {
      name: 'just under the threshold',
      s: series(10, (m) => 100 + 0.9 * m),
      slope: 0.9,
      verdict: 'flat',
    },
    {
      name: 'just over the threshold',
      s: series(10, (m) => 100 + 1.1 * m),
      slope: 1.1,
      verdict: 'grows',
    },
    { name: 'shrinking', s: series(10, (m) => 300 - 2 * m), slope: -2, verdict: 'flat' },
  ])('$name: $verdict', ({ s, slope, verdict, tolerance }) => {
    const g = growthOf(s, 1);
    expect(g.verdict).toBe(verdict);
    expect(Math.abs(g.slopeMiBPerMin - slope)).toBeLessThanOrEqual(tolerance ?? 1e-9);
  });

  it.each([
    { name: 'no readings', s: [] },
    { name: 'one reading', s: [{ t: 0, miB: 100 }] },
    {
      name: 'three readings in the second half',
      s: series(10, () => 1).filter((_, i) => i % 15 === 0),
    },
  ])('$name: too short', ({ s }) => {
    expect(growthOf(s, 1).verdict).toBe('too short');
  });
});

describe('perMinute', () => {
  it('averages each minute from the start, a partial last one too', () => {
    const s: RssPoint[] = [
      { t: 1_000, miB: 10 },
      { t: 30_000, miB: 20 },
      { t: 61_000, miB: 30 },
      { t: 119_000, miB: 50 },
      { t: 125_000, miB: 70 },
    ];
    expect(perMinute(s, 0)).toEqual([15, 40, 70]);
    expect(perMinute(s, 60_000)).toEqual([40, 70]);
  });

  it('leaves a minute without readings empty', () => {
    expect(
      perMinute(
        [
          { t: 0, miB: 1 },
          { t: 150_000, miB: 3 },
        ],
        0,
      ),
    ).toEqual([1, Number.NaN, 3]);
  });
});

describe('sparkline', () => {
  it.each([
    { values: [0, 1, 2, 3, 4, 5, 6, 7], span: 1, line: '▁▂▃▄▅▆▇█' },
    // Moves of 2 MiB on a 20 MiB scale stay in the middle.
    { values: [300, 302, 301, 300], span: 20, line: '▄▅▅▄' },
    { values: [100, 100], span: 20, line: '▅▅' },
    { values: [1, Number.NaN, 3], span: 1, line: '▁ █' },
    { values: [], span: 1, line: '' },
  ])('$values on a span of at least $span: $line', ({ values, span, line }) => {
    expect(sparkline(values, span)).toBe(line);
  });
});

describe('soakTable', () => {
  it('renders a row per process with its verdict', () => {
    const table = soakTable(
      [
        { name: 'gateway-1', series: series(2, (m) => 100 + 10 * m), cpuPercent: 61.4 },
        { name: 'nats-n1', series: series(2, () => 50), cpuPercent: 9.6 },
        { name: 'gone', series: [], cpuPercent: 0 },
      ],
      0,
      1,
    );
    expect(table.split('\n')).toEqual([
      '| process | RSS MiB start → end (max) | RSS per minute (MiB) | | slope, 2nd half (MiB/min) | R² | verdict | CPU (% of a core) |',
      '| ------- | ------------------------- | -------------------- | - | ------------------------: | -: | ------- | ----------------: |',
      '| gateway-1 | 100.0 → 120.0 (120.0) | 104 114 120 | ▁▅█ | 10.00 | 1.00 | grows | 61 |',
      '| nats-n1 | 50.0 → 50.0 (50.0) | 50 50 50 | ▅▅▅ | 0.00 | 1.00 | flat | 10 |',
      '| gone | – → – (–) |  |  | – | – | too short | 0 |',
    ]);
  });
});

describe('cpuTable', () => {
  it('adds up our CPU and leaves the rest of the machine to other work', () => {
    const table = cpuTable(
      [
        {
          label: 'seed000, 1 gateway',
          groups: { gateways: 80, nats: 40 },
          machineBusyPercent: 95,
          cores: 2,
        },
        {
          label: 'seed000, 2 gateways',
          groups: { gateways: 90, nats: 45, load: 10 },
          machineBusyPercent: 50,
          cores: 2,
        },
      ],
      ['gateways', 'nats', 'load'],
    );
    expect(table.split('\n')).toEqual([
      '| run | gateways | nats | load | ours (cores) | machine busy | other work (cores) |',
      '| --- | --: | --: | --: | --: | --: | --: |',
      '| seed000, 1 gateway | 80 % | 40 % | 0 % | 1.20 | 95 % | 0.70 |',
      '| seed000, 2 gateways | 90 % | 45 % | 10 % | 1.45 | 50 % | 0.00 |',
    ]);
  });
});

describe('heapAfterFullGc', () => {
  it('takes what each full collection left, and nothing of scavenges or other output', () => {
    const log = [
      '[14189:0x9382d40]       81 ms: Scavenge 4.8 (4.9) -> 4.2 (5.9) MB, 3.12 / 0.01 ms  (average mu = 1.000, current mu = 1.000) allocation failure; ',
      '[14120:0x308cee20]      501 ms: Mark-Compact 18.1 (30.5) -> 12.9 (32.0) MB, 6.32 / 0.01 ms  (+ 0.2 ms in 5 steps since start of marking) finalize incremental marking via task; GC in old space requested',
      '{"level":40,"msg":"Mark-Compact 1.0 (2.0) -> 0.5 (2.0) MB in a log message"}',
      '[14120:0x308cee20]    61234 ms: Mark-Compact (reduce) 150.3 (170.2) -> 90.1 (160.5) MB, 12.34 / 0.00 ms  (average mu = 0.990, current mu = 0.980) memory reducer',
      '',
    ].join('\n');
    expect(heapAfterFullGc(log)).toEqual([
      { t: 501, miB: 12.9 },
      { t: 61_234, miB: 90.1 },
    ]);
    expect(heapAfterFullGc('')).toEqual([]);
  });
});

describe('heapTable', () => {
  it('judges the heap after full collections as RSS is judged', () => {
    const table = heapTable(
      [
        { name: 'gateway-1', series: series(10, (m) => 60 + (m % 1) * 5) },
        { name: 'tasks-1', series: series(10, (m) => 50 + 2 * m) },
      ],
      1,
    );
    expect(table.split('\n').slice(2)).toEqual([
      '| gateway-1 | 61 | 60.0 → 60.0 (60.0, 64.2) | 0.10 | 0.01 | flat |',
      '| tasks-1 | 61 | 50.0 → 70.0 (50.0, 70.0) | 2.00 | 1.00 | grows |',
    ]);
  });
});
