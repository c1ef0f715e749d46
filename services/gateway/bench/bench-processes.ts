import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleService } from '../../../scripts/bundle-service.mjs';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface BenchProcess {
  readonly child: ChildProcess;
  /** Peak resident memory so far, from the kernel's own high-water mark. */
  peakRssMiB(): Promise<number>;
  stop(): Promise<void>;
}

/** Runs a TypeScript entry point of the repository as its own process. */
export function startTs(
  entry: string,
  env: Record<string, string | undefined>,
  args: string[] = [],
  nodeOptions: string[] = [],
): BenchProcess {
  return startNode([...nodeOptions, '--import', 'tsx', entry, ...args], env);
}

/**
 * Runs a service the way its container image does: bundled by esbuild (workspace packages in,
 * other dependencies external) and started by plain node, so its memory is the service's own and
 * not the on-the-fly TypeScript loader's.
 */
export async function startBuilt(
  service: string,
  env: Record<string, string | undefined>,
  nodeOptions: string[] = [],
): Promise<BenchProcess> {
  // Next to the sources, so the bundle's bare imports resolve from the repository's node_modules.
  const outfile = join(repoRoot, 'services', service, 'dist', `bench-${process.pid}.js`);
  await bundleService(join(repoRoot, 'services', service), outfile, 'warning');
  const started = startNode([...nodeOptions, '--enable-source-maps', outfile], env);
  return {
    ...started,
    async stop() {
      await started.stop();
      await Promise.all([outfile, `${outfile}.map`].map((f) => rm(f, { force: true })));
    },
  };
}

function startNode(args: string[], env: Record<string, string | undefined>): BenchProcess {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return {
    child,
    async peakRssMiB() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb / 1024;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Resolves with the first stdout line matching `pattern`. */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (data: Buffer) => {
      buffer += data.toString('utf8');
      const match = pattern.exec(buffer);
      if (match) {
        child.stdout?.off('data', onData);
        resolve(match);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`process exited (${code}) before ${pattern}`)));
  });
}

export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
