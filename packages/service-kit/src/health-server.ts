import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** A named readiness check; throwing or rejecting means not ready. */
export type ReadinessCheck = readonly [name: string, check: () => Promise<void> | void];

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `/healthz` (the process is alive), `/readyz` (its dependencies answer) and `/metrics` for
 * services that have no HTTP surface of their own; Kubernetes probes and Prometheus read them.
 */
export async function startHealthServer(opts: {
  port: number;
  /** The checks, or where to read them at each probe (they change once a service has started). */
  checks: readonly ReadinessCheck[] | (() => readonly ReadinessCheck[]);
  metrics: Metrics;
  log: Logger;
}): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (path === '/readyz') {
      const checks = typeof opts.checks === 'function' ? opts.checks() : opts.checks;
      void runChecks(checks).then((failures) => {
        const ok = failures.length === 0;
        res
          .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: ok ? 'ready' : 'not ready', failures }));
      });
    } else if (path === '/metrics') {
      void opts.metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(text);
      });
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":"not found"}');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  opts.log.info({ port }, 'health endpoints listening');
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function runChecks(checks: readonly ReadinessCheck[]): Promise<string[]> {
  const results = await Promise.all(
    checks.map(async ([name, check]) => {
      try {
        await check();
        return undefined;
      } catch (err) {
        return `${name}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }),
  );
  return results.filter((r): r is string => r !== undefined);
}
