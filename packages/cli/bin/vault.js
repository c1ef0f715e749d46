#!/usr/bin/env node
// Launcher for `vault`: the CLI is TypeScript run through tsx (as the repository's scripts are),
// so there is no build step to forget. It needs Node >= 22.12; `npx vault` from the repository
// puts the repository's own Node 24 (the `node` devDependency) first on PATH. Started by an
// older system node directly, it re-runs itself with that Node 24 when it is installed.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  let modern;
  try {
    modern = createRequire(import.meta.url).resolve('node/bin/node');
  } catch {
    process.stderr.write(
      `vault: needs Node.js 22.12 or newer (this is ${process.version}); run it as \`npx vault\` from the repository\n`,
    );
    process.exit(2);
  }
  const run = spawnSync(modern, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(run.status ?? 1);
}

const { register } = await import('tsx/esm/api');
register();
await import('../src/main.ts');
