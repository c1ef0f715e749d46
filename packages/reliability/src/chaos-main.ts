/**
 * `npm run chaos`: starts the platform as production runs it, only smaller, drives seed 000 and
 * seed 002 flows through its gateways while injecting faults, and writes the table into
 * docs/reliability.md.
 *
 *   npm run chaos -- [--rounds 10] [--faults kill-tasks,kill-nats-node,...] [--seed N]
 *                    [--dir /tmp/chaos] [--keep] [--out docs/reliability.md | --out -] [--section chaos]
 */
import { makeTempDir } from '@media-vault/test-harness';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chaosTable, FAULTS, runChaos } from './chaos.js';
import { startPlatform } from './platform.js';
import { writeSection } from './report.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    faults: { type: 'string', default: Object.keys(FAULTS).join(',') },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: join(repoRoot, 'docs/reliability.md') },
    // Which table of the file to rewrite, so runs of different faults can sit side by side.
    section: { type: 'string', default: 'chaos' },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`--rounds must be a whole number of at least 1, got "${values.rounds}"`);
  process.exit(2);
}
const faults = values.faults.split(',').filter(Boolean);
const unknown = faults.filter((f) => !FAULTS[f]);
if (unknown.length) {
  console.error(`unknown faults: ${unknown.join(', ')}; known: ${Object.keys(FAULTS).join(', ')}`);
  process.exit(2);
}

const temp = values.dir ? undefined : await makeTempDir('chaos');
const dir = values.dir ?? temp!.path;
const log = (line: string) =>
  console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
log(`platform files and logs under ${dir}`);
const started = Date.now();
const platform = await startPlatform({ dir });
log(`platform up in ${Date.now() - started} ms: gateways ${platform.gatewayUrls.join(' ')}`);
const admin = await platform.nats.connect();
// Interrupted: the servers and services are this run's children, stop them rather than leave them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void platform.stop().finally(() => process.exit(130)));
}
let code = 0;
try {
  const rows = await runChaos(platform, admin, {
    rounds,
    faults,
    mp3Dir: join(dir, 'mp3'),
    seed: Number(values.seed),
    log,
  });
  const command = `npm run chaos -- --rounds ${rounds} --seed ${values.seed}${
    values.faults === Object.keys(FAULTS).join(',') ? '' : ` --faults ${values.faults}`
  }`;
  const body = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`${command}\` on ${cpus().length} cores shared with other work.`,
    '',
    chaosTable(rows),
    '',
    ...rows.flatMap((r) =>
      r.notes.length
        ? [`- **${r.fault}** (${r.description}): ${r.notes.slice(0, 8).join('; ')}`]
        : [],
    ),
  ].join('\n');
  if (values.out === '-') console.log(body);
  else await writeSection(values.out, values.section, body);
  await writeFile(join(dir, 'chaos-rows.json'), JSON.stringify(rows, null, 2));
  const failed = rows.filter(
    (r) => r.lost || r.doubled || r.inconsistent || r.flowsCompleted < r.flowsStarted,
  );
  if (failed.length) {
    log(`faults with findings: ${failed.map((r) => r.fault).join(', ')}`);
    code = 1;
  }
} catch (err) {
  log(`the run failed: ${(err as Error).stack}`);
  code = 1;
} finally {
  await admin.close().catch(() => undefined);
  await platform.stop();
  if (temp && !values.keep) await temp.remove();
}
process.exit(code);
