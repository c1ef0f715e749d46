/**
 * Gateway command overhead: the same read (`GET /api/v1/agents/`, one user's agents from Postgres)
 * served two ways in one run on the same data —
 *   gateway: HTTP → token check → NATS request → tasks service → Postgres → reply → envelope
 *   direct:  HTTP → token check → Postgres → envelope, in one fastify handler
 * and measured with autocannon. Prints requests/s, latency, their ratio and the gateway's RSS.
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
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadGatewayConfig } from '../src/config.js';
import { buildGateway } from '../src/server.js';
import { createTokenVerifier } from '../src/token-verifier.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const secret = 'bench-secret-0123456789abcdef';

const servers = await startServers({ postgres: true, nats: true });
const databaseUrl = await createDatabase(servers.urls.postgresUrl!, uniqueName('bench'));
// Ready once it serves its commands, so no request below meets "no responders".
const tasks = await startService({
  service: 'tasks',
  env: {
    ...(await natsEnv(natsAccess(servers.urls), { kind: 'tasks' })),
    ...principalVerifyEnv(),
    DATABASE_URL: databaseUrl,
  },
  readyWhen: /health endpoints listening/,
});

const gateway = await buildGateway(
  loadGatewayConfig({
    ...(await natsEnv(natsAccess(servers.urls), { kind: 'gateway' })),
    ...principalSigningEnv(),
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: secret,
    LOG_LEVEL: 'warn',
  }),
);
const token = await new SignJWT({ name: 'bench', roles: [] })
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject('bench-user')
  .setExpirationTime('1h')
  .sign(new TextEncoder().encode(secret));
const headers = { token, 'content-type': 'application/json' };

// Give the user a few agents to list.
const deadline = Date.now() + 60_000;
for (let i = 0; i < 5;) {
  const res = await fetch(`${gateway.url}/api/v1/agents/`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      id: `bench-agent-${i}`,
      peer_id: `12D3KooWBench${i}`,
      public_key: randomBytes(32).toString('base64'),
      signing_key: randomBytes(32).toString('base64'),
    }),
  });
  if (res.ok) i++;
  else if (Date.now() > deadline) throw new Error(`tasks service not answering: ${res.status}`);
  else await new Promise((r) => setTimeout(r, 200));
}

const pool = new pg.Pool({
  connectionString: databaseUrl,
  max: 10,
  options: '-c search_path=tasks',
});
const verify = await createTokenVerifier({ secret });
const direct = Fastify();
direct.get('/api/v1/agents/', async (request) => {
  const principal = await verify(String(request.headers.token));
  const { rows } = await pool.query(
    'SELECT * FROM agents WHERE user_id = $1 ORDER BY created_at, id',
    [principal.id],
  );
  return { data: rows, message: '' };
});
const directUrl = await direct.listen({ port: 0, host: '127.0.0.1' });

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

async function measure(name: string, url: string) {
  const result = await autocannon({
    url: `${url}/api/v1/agents/`,
    headers,
    connections: CONNECTIONS,
    duration: DURATION_S,
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

// Warm both paths so JIT and connection pools are settled before measuring.
await autocannon({ url: `${gateway.url}/api/v1/agents/`, headers, duration: 2, connections: 4 });
await autocannon({ url: `${directUrl}/api/v1/agents/`, headers, duration: 2, connections: 4 });
const viaGateway = await measure('gateway → NATS → tasks', gateway.url);
const viaDirect = await measure('direct handler', directUrl);
clearInterval(sampler);

console.log(`\nGET /api/v1/agents/ — ${CONNECTIONS} connections, ${DURATION_S} s each\n`);
console.table(
  [viaGateway, viaDirect].map((r) => ({
    path: r.name,
    'req/s': Math.round(r.rps),
    'p50 ms': r.p50,
    'p99 ms': r.p99,
  })),
);
console.log(`gateway/direct throughput ratio: ${(viaGateway.rps / viaDirect.rps).toFixed(2)}`);
console.log(
  `peak RSS of the bench process (gateway + direct peer): ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
);

await direct.close();
await pool.end();
await gateway.close();
await tasks.stop();
await servers.stop();
