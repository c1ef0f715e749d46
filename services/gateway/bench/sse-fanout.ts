/**
 * Live events for browsers at scale: BENCH_SSE_CONNECTIONS (1,000) Server-Sent Events streams open
 * on one gateway process, all of one studio, while the studio's upload task reports progress
 * through the API. Measured, for the gateway and for a plain relay of the same EVENTS stream
 * (bench/sse-relay-baseline.ts: one shared consumer, no auth, no filter, no resume):
 *   - memory per connection: the process's RSS with every stream open and idle, minus its RSS
 *     before the first one, divided by the number of streams;
 *   - latency from the PATCH that commits a status change (timed from sending it: the commit and
 *     the outbox publish happen inside it) to the event arriving on each stream: p50, p99, max
 *     over every stream and change.
 * BENCH_SSE_CHANGES sets the number of status changes (default 20).
 */
import {
  createDatabase,
  natsAccess,
  natsEnv,
  principalSigningEnv,
  principalVerifyEnv,
  startServers,
  startService,
  uniqueName,
} from '@media-vault/test-harness';
import { natsPermissions } from '@media-vault/contracts';
import { SignJWT } from 'jose';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { freePort } from '@media-vault/test-harness';
import { startTs, waitForLine, waitUntil, type BenchProcess } from './bench-processes.js';

const CONNECTIONS = Number(process.env.BENCH_SSE_CONNECTIONS ?? 1000);
const CHANGES = Number(process.env.BENCH_SSE_CHANGES ?? 20);
const secret = 'bench-secret-0123456789abcdef';

const rssMiB = async (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** One open event stream: calls `onEvent` with each event's data and the time it arrived. */
interface Stream {
  close(): void;
}
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
function openStream(
  url: string,
  headers: Record<string, string>,
  onEvent: (data: string, at: number) => void,
): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => reject(new Error(`${url}: HTTP ${res.statusCode} ${body}`)));
        return;
      }
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').find((line) => line.startsWith('data: '));
          if (data) onEvent(data.slice(6), at);
        }
      });
      res.on('error', () => undefined);
      resolve({ close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const servers = await startServers({ postgres: true, nats: true });
const nats = natsAccess(servers.urls);
const processes: BenchProcess[] = [];
const tasks = await startService({
  service: 'tasks',
  env: {
    ...(await natsEnv(nats, { kind: 'tasks' })),
    ...principalVerifyEnv(),
    DATABASE_URL: await createDatabase(servers.urls.postgresUrl!, uniqueName('bench')),
  },
  readyWhen: /health endpoints listening/,
});

try {
  const gatewayPort = await freePort();
  const gateway = startTs('services/gateway/src/main.ts', {
    ...(await natsEnv(nats, { kind: 'gateway' })),
    ...principalSigningEnv(),
    PORT: String(gatewayPort),
    HOST: '127.0.0.1',
    JWT_SECRET: secret,
    LOG_LEVEL: 'warn',
  });
  processes.push(gateway);
  // Its warnings go to the bench's stderr; an unread pipe would stall the gateway.
  gateway.child.stdout?.pipe(process.stderr);
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  // /healthz, not /readyz: no assets service runs here, and the events route needs none.
  await waitUntil('the gateway', async () => (await fetch(`${gatewayUrl}/healthz`)).ok);

  const baseline = startTs('services/gateway/bench/sse-relay-baseline.ts', {
    ...(await natsEnv(nats, { kind: 'observer' })),
    NATS_INBOX_PREFIX: natsPermissions({ kind: 'observer' }).inboxPrefix,
  });
  processes.push(baseline);
  const baselineUrl = (await waitForLine(baseline.child, /listening (\S+)/))[1]!;

  const token = await new SignJWT({ name: 'studio', roles: [] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench-studio')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
  const api = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: { token, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { data: { id: number } };
  };
  const task = (
    await api('POST', '/api/v1/tasks/upload/pbulic/', {
      series_id: 1,
      uuid: `bench-${Date.now()}`,
      source_name: 'bench.mp4',
    })
  ).data.id;
  let percent = 0;

  async function measure(name: string, pid: number, url: string, headers: Record<string, string>) {
    // Settle the process first: one stream and one change warm the code paths.
    const arrivals = new Map<number, number[]>();
    const onEvent = (data: string, at: number) => {
      const event = JSON.parse(data) as { record?: { id?: number; percent?: number } };
      if (event.record?.id !== task || event.record.percent === undefined) return;
      const list = arrivals.get(event.record.percent) ?? [];
      list.push(at);
      arrivals.set(event.record.percent, list);
    };
    const warm = await openStream(url, headers, () => undefined);
    await api('PATCH', `/api/v1/tasks/upload/pbulic/${task}/`, { status: 3, percent: ++percent });
    warm.close();
    // The warm-up stream's ordered consumer goes once idle for its 5 s inactive threshold: gone
    // before counting, so all streams measured fit in the server's consumer limit.
    await new Promise((r) => setTimeout(r, 6000));
    const before = await rssMiB(pid);

    const streams: Stream[] = [];
    const refusals = new Map<string, number>();
    const opened = performance.now();
    // In groups, as browsers arriving: all at once would measure the listen backlog instead.
    for (let i = 0; i < CONNECTIONS; i += 50) {
      const group = Math.min(50, CONNECTIONS - i);
      const results = await Promise.allSettled(
        Array.from({ length: group }, () => openStream(url, headers, onEvent)),
      );
      for (const r of results) {
        if (r.status === 'fulfilled') streams.push(r.value);
        else {
          const why = (r.reason as Error).message.replace(/^\S+: /, '');
          refusals.set(why, (refusals.get(why) ?? 0) + 1);
        }
      }
    }
    const openMs = performance.now() - opened;
    for (const [why, n] of refusals) console.log(`${name}: ${n} of ${CONNECTIONS} refused: ${why}`);
    const open = streams.length;
    await new Promise((r) => setTimeout(r, 2000));
    const after = await rssMiB(pid);

    const latencies: number[] = [];
    const roundTrips: number[] = [];
    for (let c = 0; c < CHANGES; c++) {
      const p = ++percent;
      const sent = performance.now();
      await api('PATCH', `/api/v1/tasks/upload/pbulic/${task}/`, { status: 3, percent: p });
      roundTrips.push(performance.now() - sent);
      const deadline = Date.now() + 30_000;
      while ((arrivals.get(p)?.length ?? 0) < open && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
      const got = arrivals.get(p) ?? [];
      if (got.length < open) {
        throw new Error(`${name}: change ${p} reached ${got.length} of ${open} streams`);
      }
      latencies.push(...got.map((at) => at - sent));
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const s of streams) s.close();
    latencies.sort((a, b) => a - b);
    roundTrips.sort((a, b) => a - b);
    return {
      peer: name,
      streams: `${open}/${CONNECTIONS}`,
      'open all s': +(openMs / 1000).toFixed(1),
      'RSS before MiB': +before.toFixed(0),
      'RSS open MiB': +after.toFixed(0),
      'KiB/stream': +(((after - before) * 1024) / open).toFixed(1),
      'p50 ms': +percentile(latencies, 50).toFixed(1),
      'p99 ms': +percentile(latencies, 99).toFixed(1),
      'max ms': +latencies.at(-1)!.toFixed(1),
      'PATCH p50 ms': +percentile(roundTrips, 50).toFixed(1),
    };
  }

  const viaGateway = await measure(
    'gateway /api/v1/events/',
    gateway.child.pid!,
    `${gatewayUrl}/api/v1/events/`,
    {
      token,
    },
  );
  await new Promise((r) => setTimeout(r, 2000));
  const viaBaseline = await measure(
    'plain relay (baseline)',
    baseline.child.pid!,
    `${baselineUrl}/events`,
    {},
  );

  console.log(
    `\nSSE fan-out: ${CONNECTIONS} streams of one studio, ${CHANGES} status changes (PATCH → event on every stream)\n`,
  );
  console.table([viaGateway, viaBaseline]);
  console.log(
    'Latency is timed from sending the PATCH; the change commits inside it (PATCH p50 is its round trip).',
  );
} finally {
  for (const p of processes) await p.stop();
  await tasks.stop();
  await servers.stop();
}
