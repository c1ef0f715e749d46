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
 * The NODE_OPTIONS the deployment gives a service's container (its `<service>-env` ConfigMap in
 * deploy/base), so a bench runs it with the same heap settings, not a copy that could drift.
 */
export async function deployedNodeOptions(service: string): Promise<string | undefined> {
  const kustomization = await readFile(
    join(repoRoot, 'deploy/base', service, 'kustomization.yaml'),
    'utf8',
  ).catch(() => ''); // a service the cluster does not run (the agent) has none
  return /^\s*- NODE_OPTIONS=(.+)$/m.exec(kustomization)?.[1]?.trim();
}

/**
 * Runs a service the way its container image does: bundled by esbuild (workspace packages in,
 * other dependencies external), started by plain node, with the NODE_OPTIONS its deployment
 * sets; so its memory is the service's own and not the on-the-fly TypeScript loader's.
 */
export async function startBuilt(
  service: string,
  env: Record<string, string | undefined>,
  nodeOptions: string[] = [],
): Promise<BenchProcess> {
  // Next to the sources, so the bundle's bare imports resolve from the repository's node_modules.
  const outfile = join(repoRoot, 'services', service, 'dist', `bench-${process.pid}.js`);
  const { bundle } = await bundleService(join(repoRoot, 'services', service), outfile, 'warning');
  const deployed = await deployedNodeOptions(service);
  const started = startNode([...nodeOptions, outfile], {
    ...env,
    ...(deployed === undefined
      ? {}
      : { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${deployed}`.trim() }),
  });
  return {
    ...started,
    async stop() {
      await started.stop();
      await Promise.all([outfile, bundle, `${bundle}.map`].map((f) => rm(f, { force: true })));
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
