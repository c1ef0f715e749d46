// Bundles a service's entry point the way its container image carries it. Workspace packages are
// TypeScript sources, so they are bundled in; every other dependency stays external and comes from
// `npm ci --omit=dev` in the image (or the repository's node_modules when run in place).
import { build } from 'esbuild';
import { resolve } from 'node:path';

/** Writes `outfile` (and its source map) from `<serviceDir>/src/main.ts`. */
export async function bundleService(serviceDir, outfile, logLevel = 'info') {
  await build({
    entryPoints: [resolve(serviceDir, 'src/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    sourcemap: true,
    logLevel,
    plugins: [
      {
        name: 'external-dependencies',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@media-vault/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
}
