import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import type { Replica } from './platform.js';
import type { Mark, ProcessSampler } from './sampler.js';

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
  /** Replies per minute of the run (the last minute may be partial), and how many were not 2xx. */
  readonly minutes: readonly { readonly requests: number; readonly bad: number }[];
  /** The sampler's marks at the start and the end, for its CPU figures. */
  readonly marks: readonly [Mark, Mark];
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
 * round-robin balancer) while `sampler` reads the RSS and CPU of every process.
 */
export async function runLoad(opts: {
  readonly traffic: Traffic;
  readonly gateways: readonly Replica[];
  readonly token: string;
  readonly seconds: number;
  readonly connections: number;
  readonly sampler: ProcessSampler;
}): Promise<LoadRow> {
  const urls = opts.gateways.map((g) => `http://127.0.0.1:${g.port}`);
  const begin = await opts.sampler.mark();
  const started = Date.now();
  const minutes: { requests: number; bad: number }[] = [];
  let instance!: autocannon.Instance;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        // autocannon takes several URLs and spreads the connections over them (its types say one).
        url: urls as unknown as string,
        connections: opts.connections,
        duration: opts.seconds,
        requests: requestsOf(opts.traffic, opts.token),
        timeout: 30,
      },
      (err, result) => (err ? reject(err as Error) : resolve(result)),
    );
  });
  instance.on('response', (_client, statusCode) => {
    // Replies that arrive after the last second (autocannon stops a moment late) count in the
    // last minute rather than a minute of their own.
    const m = Math.min(
      Math.floor((Date.now() - started) / 60_000),
      Math.ceil(opts.seconds / 60) - 1,
    );
    const minute = (minutes[m] ??= { requests: 0, bad: 0 });
    minute.requests++;
    if (statusCode < 200 || statusCode > 299) minute.bad++;
  });
  const result = await done;
  const end = await opts.sampler.mark();
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
      const values = opts.sampler
        .series(g.name, begin)
        .filter((p) => p.t <= end.t)
        .map((p) => p.miB);
      const round = (v: number) => Math.round(v * 10) / 10;
      return {
        name: g.name,
        startMiB: round(values[0] ?? Number.NaN),
        endMiB: round(values.at(-1) ?? Number.NaN),
        maxMiB: round(Math.max(...values)),
      };
    }),
    minutes: Array.from(minutes, (m) => m ?? { requests: 0, bad: 0 }),
    marks: [begin, end],
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

/** The soak's traffic table: a row per traffic, with its replies per second minute by minute. */
export function soakTrafficTable(rows: readonly LoadRow[]): string {
  const lines = [
    '| traffic | gateways | connections | seconds | requests | req/s | p50 (ms) | p99 (ms) | errors | req/s per minute | errors per minute |',
    '| ------- | -------: | ----------: | ------: | -------: | ----: | -------: | -------: | -----: | ---------------- | ----------------- |',
  ];
  for (const r of rows) {
    // The last minute may be partial: its rate is over the seconds it had.
    const rates = r.minutes.map((m, i) =>
      Math.round(m.requests / Math.max(1, Math.min(60, r.seconds - i * 60))),
    );
    lines.push(
      `| ${r.traffic} | ${r.gateways} | ${r.connections} | ${r.seconds} | ${r.requests} | ${r.perSecond} | ${r.p50} | ${r.p99} | ${(r.errorRate * 100).toFixed(2)} % | ${rates.join(' ')} | ${r.minutes.map((m) => m.bad).join(' ')} |`,
    );
  }
  return lines.join('\n');
}

/** `600`, `600s`, `10m` or `1h` as seconds; undefined when it is none of those or not positive. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
  return seconds >= 1 ? seconds : undefined;
}
