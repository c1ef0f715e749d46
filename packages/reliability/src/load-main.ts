/**
 * `npm run load`: starts the platform (three NATS nodes, two replicas of every service) and runs
 * autocannon with seed 000 and seed 002 traffic against one gateway, then against both, sampling
 * each gateway's RSS; writes the table into docs/reliability.md.
 *
 *   npm run load -- [--duration 120] [--connections 20] [--traffic seed000,seed002]
 *                   [--dir /tmp/load] [--keep] [--out docs/reliability.md | --out -]
 */
import { makeTempDir } from '@media-vault/test-harness';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { signToken } from './http-client.js';
import { loadTable, runLoad, type LoadRow, type Traffic } from './load.js';
import { startPlatform } from './platform.js';
import { writeSection } from './report.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '120' },
    connections: { type: 'string', default: '20' },
    traffic: { type: 'string', default: 'seed000,seed002' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: join(repoRoot, 'docs/reliability.md') },
  },
});
const seconds = Number(values.duration);
const connections = Number(values.connections);
if (
  !Number.isInteger(seconds) ||
  seconds < 1 ||
  !Number.isInteger(connections) ||
  connections < 1
) {
  console.error('--duration (seconds) and --connections must be whole numbers of at least 1');
  process.exit(2);
}
const traffics = values.traffic.split(',') as Traffic[];
if (traffics.some((t) => t !== 'seed000' && t !== 'seed002')) {
  console.error(`--traffic takes seed000 and/or seed002, got "${values.traffic}"`);
  process.exit(2);
}
const temp = values.dir ? undefined : await makeTempDir('load');
const dir = values.dir ?? temp!.path;
const log = (line: string) =>
  console.log(`[load ${new Date().toISOString().slice(11, 19)}] ${line}`);
// Request logs at info would measure the log writer: warn, as a loaded deployment would run.
const platform = await startPlatform({ dir, logLevel: 'warn' });
let code = 0;
// Interrupted: the servers and services are this run's children, stop them rather than leave them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void platform.stop().finally(() => process.exit(130)));
}
try {
  const tokens: Record<Traffic, string> = {
    seed000: await signToken(platform.jwtSecret, 'load-studio'),
    seed002: await signToken(platform.jwtSecret, 'load-contributor', [100]),
  };
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
      });
      log(JSON.stringify(row));
      rows.push(row);
    }
  }
  const command = `npm run load -- --duration ${seconds} --connections ${connections}${
    values.traffic === 'seed000,seed002' ? '' : ` --traffic ${values.traffic}`
  }`;
  const body = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`${command}\` on ${cpus().length} cores shared with other work ` +
      '(the load generator, three nats-servers, Postgres, Kubo and ten service processes all on them).',
    '',
    loadTable(rows),
  ].join('\n');
  if (values.out === '-') console.log(body);
  else await writeSection(values.out, 'load', body);
} catch (err) {
  log(`the run failed: ${(err as Error).stack}`);
  code = 1;
} finally {
  await platform.stop();
  if (temp && !values.keep) await temp.remove();
}
process.exit(code);
