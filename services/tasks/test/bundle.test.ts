import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleService } from '../../../scripts/bundle-service.mjs';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tasks-bundle-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// The image installs its dependencies without install scripts, so without patch-package: the
// Postgres driver it runs must be the patched one the bundle carries (patches/), not its own.
it('carries the patched Postgres driver instead of importing it', async () => {
  const { bundle } = await bundleService(serviceDir, join(dir, 'main.js'), 'error');
  const code = await readFile(bundle, 'utf8');
  const imported = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
  expect(imported).toContain('drizzle-orm/postgres-js');
  expect(imported).not.toContain('postgres');
  // The guard patches/ adds to the driver's deferred write (the bundle keeps code, not comments).
  expect(code).toMatch(/function nextWrite\(fn\) \{\s+if \(!socket\) \{/);
}, 60_000);
