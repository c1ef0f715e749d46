// Bundles a service into dist/main.js for its container image. Workspace packages are TypeScript
// sources, so they are bundled in; every other dependency stays external and comes from
// `npm ci --omit=dev` in the image.
import { build } from 'esbuild';
import { resolve } from 'node:path';
import process from 'node:process';

const serviceDir = process.cwd();
await build({
  entryPoints: [resolve(serviceDir, 'src/main.ts')],
  outfile: resolve(serviceDir, 'dist/main.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: true,
  logLevel: 'info',
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
