import { runChecks, type Metrics, type ReadinessCheck } from '@media-vault/service-kit';
import type { FastifyInstance } from 'fastify';

export async function healthRoutes(
  app: FastifyInstance,
  opts: { checks: readonly ReadinessCheck[]; metrics: Metrics },
): Promise<void> {
  const hidden = { schema: { hide: true } };
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
