import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleService } from '../../../scripts/bundle-service.mjs';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));

describe('the gateway as its image carries it', () => {
  // Loading drizzle and the database drivers costs a process about 100 MiB at start; the gateway
  // owns no tables, so none of them may reach its bundle through the service kit.
  it('loads no database driver nor drizzle', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gateway-bundle-'));
    try {
      const outfile = join(dir, 'main.js');
      await bundleService(serviceDir, outfile, 'error');
      const code = await readFile(outfile, 'utf8');
      const imported = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
      expect(imported).toContain('fastify');
      expect(imported.filter((m) => /drizzle|pglite|^postgres$/.test(m!))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
