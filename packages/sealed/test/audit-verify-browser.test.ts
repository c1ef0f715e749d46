import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('audit-verify in a browser bundle', () => {
  it('bundles for the browser with no Node built-in (the console loads it)', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/audit-verify.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((name) => name.includes('@noble/curves'))).toBe(true);
    expect(inputs.filter((name) => name.startsWith('node:'))).toEqual([]);
    expect(result.outputFiles[0]!.text).not.toMatch(/\bBuffer\./);
  });
});
