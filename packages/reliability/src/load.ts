import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Replica } from './platform.js';

export type Traffic = 'seed000' | 'seed002';

export interface LoadRow {
  readonly traffic: Traffic;
  readonly gateways: number;
  readonly connections: number;
  readonly seconds: number;
  readonly requests: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Non-2xx replies plus errors (time-outs, resets), over all requests. */
  readonly errorRate: number;
  readonly non2xx: number;
  readonly errors: number;
  /** Each gateway's RSS in MiB: at the start, at the end, and the highest sample. */
  readonly rss: {
    readonly name: string;
    readonly startMiB: number;
    readonly endMiB: number;
    readonly maxMiB: number;
  }[];
}

/** VmRSS of a process in MiB, from /proc. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

interface Ctx {
  source?: number;
}

type Requests = NonNullable<autocannon.Options['requests']>;

/**
 * Seed 000 traffic: a studio creates an upload task, then reads its source back (the id comes from
 * the create's reply). Seed 002 traffic: a contributor lists the posted assets, then creates an
 * asset (a chunk plan) for a file of a fresh hash, as the console does before uploading.
 */
function requestsOf(traffic: Traffic, token: string): Requests {
  const headers = { Token: token, 'content-type': 'application/json' };
  if (traffic === 'seed000') {
    return [
      {
        method: 'POST',
        path: '/api/v1/tasks/upload/pbulic/',
        headers,
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({
            series_id: 7,
            uuid: randomBytes(8).toString('hex'),
            source_name: 'load',
          }),
        }),
        onResponse: (status, body, context) => {
          if (status === 200)
            (context as Ctx).source = (
              JSON.parse(body) as { data: { source_id: number } }
            ).data.source_id;
        },
      },
      {
        method: 'GET',
        headers,
        setupRequest: (req, context) =>
          (context as Ctx).source
            ? { ...req, path: `/api/v1/sources/${String((context as Ctx).source)}/` }
            : undefined!,
      },
    ];
  }
  return [
    { method: 'GET', path: '/api/v1/assets/audio?status=POST&page=1&size=20', headers },
    {
      method: 'POST',
      path: '/api/v1/assets/audio',
      headers,
      setupRequest: (req) => ({
        ...req,
        body: JSON.stringify({
          name: 'load.mp3',
          size: '1048576',
          hash: randomBytes(32).toString('hex'),
        }),
      }),
    },
  ];
}

/**
 * One load run: autocannon against `gateways` (connections alternate between them, as behind a
 * round-robin balancer) while every gateway's RSS is sampled once a second.
 */
export async function runLoad(opts: {
  readonly traffic: Traffic;
  readonly gateways: readonly Replica[];
  readonly token: string;
  readonly seconds: number;
  readonly connections: number;
  readonly onSample?: (line: string) => void;
}): Promise<LoadRow> {
  const urls = opts.gateways.map((g) => `http://127.0.0.1:${g.port}`);
  const samples = new Map<string, number[]>(opts.gateways.map((g) => [g.name, []]));
  const sample = async () => {
    for (const g of opts.gateways) {
      if (g.pid) samples.get(g.name)!.push(await rssMiB(g.pid).catch(() => Number.NaN));
    }
  };
  await sample();
  const timer = setInterval(() => void sample(), 1_000);
  const result = await autocannon({
    // autocannon takes several URLs and spreads the connections over them (its types say one).
    url: urls as unknown as string,
    connections: opts.connections,
    duration: opts.seconds,
    requests: requestsOf(opts.traffic, opts.token),
    timeout: 30,
  });
  clearInterval(timer);
  await sample();
  const total = result.requests.total;
  const bad = result.non2xx + result.errors + result.timeouts;
  return {
    traffic: opts.traffic,
    gateways: urls.length,
    connections: opts.connections,
    seconds: opts.seconds,
    requests: total,
    perSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errorRate: total ? bad / total : 0,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    rss: opts.gateways.map((g) => {
      const values = samples.get(g.name)!.filter((v) => !Number.isNaN(v));
      return {
        name: g.name,
        startMiB: values[0] ?? Number.NaN,
        endMiB: values.at(-1) ?? Number.NaN,
        maxMiB: Math.max(...values),
      };
    }),
  };
}

export function loadTable(rows: readonly LoadRow[]): string {
  const lines = [
    '| traffic | gateways | connections | seconds | requests | req/s | p50 (ms) | p99 (ms) | errors | gateway RSS MiB (start → end, max) |',
    '| ------- | -------: | ----------: | ------: | -------: | ----: | -------: | -------: | -----: | ---------------------------------- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.traffic} | ${r.gateways} | ${r.connections} | ${r.seconds} | ${r.requests} | ${r.perSecond} | ${r.p50} | ${r.p99} | ${(r.errorRate * 100).toFixed(2)} % | ${r.rss
        .map((g) => `${g.name}: ${g.startMiB} → ${g.endMiB}, ${g.maxMiB}`)
        .join('; ')} |`,
    );
  }
  return lines.join('\n');
}
