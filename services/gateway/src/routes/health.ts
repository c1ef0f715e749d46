import { runChecks, type Metrics, type ReadinessCheck } from '@media-vault/service-kit';
import type { FastifyInstance } from 'fastify';

export async function healthRoutes(
  app: FastifyInstance,
  opts: { checks: readonly ReadinessCheck[]; metrics: Metrics },
): Promise<void> {
  // Balancers and kubelets ask every few seconds: an info line per probe would drown the
  // request log. A probe that fails still shows, as the 503 that the caller acts on.
  const hidden = { schema: { hide: true }, logLevel: 'warn' } as const;
  app.get('/healthz', hidden, async () => ({ status: 'ok' }));
  app.get('/readyz', hidden, async (_request, reply) => {
    const failures = await runChecks(opts.checks);
    return reply
      .status(failures.length === 0 ? 200 : 503)
      .send({ status: failures.length === 0 ? 'ready' : 'not ready', failures });
  });
  app.get('/metrics', hidden, async (_request, reply) =>
    reply.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics()),
  );
}
