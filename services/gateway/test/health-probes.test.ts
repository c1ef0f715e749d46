import { Metrics } from '@media-vault/service-kit';
import Fastify from 'fastify';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { healthRoutes } from '../src/routes/health.js';

describe('health probes', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().trim().split('\n'));
      done();
    },
  });
  const build = async (ready: boolean) => {
    const app = Fastify({ logger: { level: 'info', stream: sink } });
    await app.register(healthRoutes, {
      checks: [
        [
          'tasks',
          () => {
            if (!ready) throw new Error('no service is answering');
          },
        ],
      ],
      metrics: new Metrics('gateway'),
    });
    app.get('/api/v1/ping', async () => ({ ok: true }));
    await app.ready();
    return app;
  };
  afterEach(() => void lines.splice(0));

  it('leave no request log lines, while an API request still logs its own', async () => {
    const app = await build(true);
    for (const url of ['/healthz', '/readyz', '/metrics']) {
      expect((await app.inject({ url })).statusCode).toBe(200);
    }
    expect(lines.filter((l) => l.includes('"url"') || l.includes('statusCode'))).toEqual([]);
    await app.inject({ url: '/api/v1/ping' });
    expect(lines.some((l) => l.includes('/api/v1/ping'))).toBe(true);
    await app.close();
  });

  it('still answer 503 with the failing check when not ready', async () => {
    const app = await build(false);
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'not ready' });
    await app.close();
  });
});
