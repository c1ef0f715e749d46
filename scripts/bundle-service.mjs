// Bundles a service's entry point the way its container image carries it. Workspace packages are
// TypeScript sources, so they are bundled in; so is every dependency `patches/` changes, as
// patch-package applies it where the repository's dependencies are installed with their dev tools,
// and the image installs its own without either. Every other dependency stays external and comes
// from `npm ci --omit=dev` in the image (or the repository's node_modules when run in place).
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';

/** Packages patched by `patches/<name>+<version>.patch` (scoped names as `@scope+name+...`). */
const patched = new Set(
  readdirSync(new URL('../patches/', import.meta.url))
    .filter((file) => file.endsWith('.patch'))
    .map((file) => file.replace(/\+[^+]+\.patch$/, '').replace('+', '/')),
);
const packageOf = (path) =>
  path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0];

/**
 * Writes `outfile`, a small entry point, and beside it `<name>.bundle.js` (with its source map),
 * the service itself; returns both paths.
 *
 * The entry point turns source maps on before it loads the bundle, for files outside
 * node_modules only. `node --enable-source-maps` would also read and keep the map of every
 * dependency that ships one (fastify's, NATS's, typebox's...): some 25 MiB of a gateway's
 * resident memory, for stack frames inside libraries that nobody maps back.
 */
export async function bundleService(serviceDir, outfile, logLevel = 'info') {
  const bundle = outfile.replace(/(\.m?js)?$/, '.bundle.js');
  await build({
    entryPoints: [resolve(serviceDir, 'src/main.ts')],
    outfile: bundle,
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
            args.path.startsWith('@media-vault/') || patched.has(packageOf(args.path))
              ? undefined
              : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  // A dynamic import: a static one would load the bundle before the line that turns maps on.
  await writeFile(
    outfile,
    [
      '// Written by scripts/bundle-service.mjs: source maps for the service, not its dependencies.',
      "import { setSourceMapsSupport } from 'node:module';",
      'setSourceMapsSupport(true, { nodeModules: false });',
      `await import(${JSON.stringify(`./${basename(bundle)}`)});`,
      '',
    ].join('\n'),
  );
  return { entry: outfile, bundle };
}
