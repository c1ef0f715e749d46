import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleService } from '../../../scripts/bundle-service.mjs';
import { deployedNodeOptions } from '../bench/bench-processes.js';

const run = promisify(execFile);
const serviceDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** What node prints when run with `args` and the given NODE_OPTIONS (none by default). */
const nodeSays = async (args: string[], nodeOptions = '') =>
  (await run(process.execPath, args, { env: { ...process.env, NODE_OPTIONS: nodeOptions } }))
    .stdout;

describe('the gateway as its image carries it', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gateway-bundle-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Loading drizzle and the database drivers costs a process about 100 MiB at start; the gateway
  // owns no tables, so none of them may reach its bundle through the service kit.
  it('loads no database driver nor drizzle', async () => {
    const { bundle } = await bundleService(serviceDir, join(dir, 'main.js'), 'error');
    const code = await readFile(bundle, 'utf8');
    const imported = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(imported).toContain('fastify');
    expect(imported.filter((m) => /drizzle|pglite|^postgres$/.test(m!))).toEqual([]);
  });

  // `--enable-source-maps` parses the map of every dependency that ships one, some 25 MiB of the
  // gateway's memory at start; the entry point maps the service's own frames and no others.
  it("maps stack frames of the service's own code and not of its dependencies", async () => {
    const service = join(dir, 'service');
    await mkdir(join(service, 'src'), { recursive: true });
    await writeFile(
      join(service, 'src/main.ts'),
      [
        "import { getSourceMapsSupport } from 'node:module';",
        'function fail(): never {',
        "  throw new Error('here');",
        '}',
        'try {',
        '  fail();',
        '} catch (err) {',
        '  console.log(JSON.stringify({ ...getSourceMapsSupport(), frame: (err as Error).stack }));',
        '}',
      ].join('\n'),
    );
    const { entry } = await bundleService(service, join(service, 'dist/main.js'), 'error');
    const said = JSON.parse(await nodeSays([entry])) as Record<string, unknown>;
    expect(said).toMatchObject({ enabled: true, nodeModules: false });
    expect(said.frame).toContain(`at fail (${join(service, 'src/main.ts')}:3:9)`);
  });

  it('is started by node without --enable-source-maps', async () => {
    const dockerfile = await readFile(join(repoRoot, 'Dockerfile'), 'utf8');
    const cmd = /^CMD (.+)$/m.exec(dockerfile)?.[1];
    expect(cmd).toBe('["node", "main.js"]');
  });

  // V8's default young generation grows to 2 × 32 MiB, all of it touched as requests allocate,
  // and it is collected so rarely that a chunk upload's socket buffers pile up between
  // collections. The deployment (and the ingest bench, from the same ConfigMap) runs the gateway
  // with a small one; node must accept the setting in NODE_OPTIONS, or the pod would not start.
  it('runs with the small young generation its deployment sets', async () => {
    const options = await deployedNodeOptions('gateway');
    expect(options).toMatch(/^--max-semi-space-size=\d+$/);
    const semiSpaceMiB = Number(options!.split('=')[1]);
    expect(semiSpaceMiB).toBeLessThanOrEqual(4);
    const heapLimit = async (nodeOptions?: string) =>
      Number(
        await nodeSays(['-p', "require('v8').getHeapStatistics().heap_size_limit"], nodeOptions),
      );
    // The young generation's share of the heap limit shrinks only when node applied the setting.
    expect(await heapLimit(options)).toBeLessThan(await heapLimit());
  });
});
