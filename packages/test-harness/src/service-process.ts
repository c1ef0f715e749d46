import { fileURLToPath } from 'node:url';
import { startProcess, type StartedProcess } from './child-process.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Runs one of the platform's services from source as its own process, the way `npm run dev`
 * does, so a test can stop it, or kill it mid-job, like a real deployment would.
 */
export function startService(opts: {
  readonly service: 'gateway' | 'tasks' | 'assets' | 'ipfs-worker' | 'media-worker' | 'agent';
  readonly env: Record<string, string>;
  /** A log line that says the service is ready, e.g. /health endpoints listening/. */
  readonly readyWhen: RegExp;
  readonly label?: string;
  readonly timeoutMs?: number;
}): Promise<StartedProcess> {
  return startProcess({
    command: process.execPath,
    args: ['--import', 'tsx', `services/${opts.service}/src/main.ts`],
    cwd: repoRoot,
    // Tests stop gateways often and have no balancer to drain: no shutdown drain unless asked.
    env: { HEALTH_PORT: '0', LOG_LEVEL: 'info', SHUTDOWN_DRAIN_MS: '0', ...opts.env },
    readyWhen: opts.readyWhen,
    label: opts.label ?? opts.service,
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
}
