import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks, startHealthServer, type HealthServer } from '../src/health-server.js';
import { Metrics } from '../src/metrics.js';
import { silentLog } from './helpers.js';

describe('health server', () => {
  let server: HealthServer;
  let base: string;
  let databaseUp = false;
  const metrics = new Metrics('health-test');

  beforeAll(async () => {
    server = await startHealthServer({
      port: 0,
      checks: [
        ['nats', () => {}],
        [
          'database',
          async () => {
            if (!databaseUp) throw new Error('connection refused');
          },
        ],
      ],
      metrics,
      log: silentLog,
    });
    base = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('listens on a free port when asked for port 0', () => {
    expect(server.port).toBeGreaterThan(0);
  });

  it('/healthz answers 200 whatever the dependencies say', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 503 naming the failing check, then 200 once it passes', async () => {
    databaseUp = false;
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({
      status: 'not ready',
      failures: ['database: connection refused'],
    });

    databaseUp = true;
    const up = await fetch(`${base}/readyz?verbose=1`);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: 'ready', failures: [] });
  });

  it('/metrics serves Prometheus text with the command counter and default metrics', async () => {
    metrics.observeCommand('svc.tasks.agent.list', 'ok', 0.002);
    metrics.observeCommand('svc.tasks.agent.list', 'ok', 0.003);
    metrics.observeCommand('svc.tasks.agent.register', 'badRequest', 0.001);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('# TYPE vault_commands_total counter');
    expect(text).toMatch(
      /vault_commands_total\{subject="svc\.tasks\.agent\.list",outcome="ok",service="health-test"\} 2/,
    );
    expect(text).toMatch(/vault_commands_total\{[^}]*outcome="badRequest"[^}]*\} 1/);
    expect(text).toContain('vault_command_duration_seconds_bucket');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('anything else is 404', async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
  });

  it('runChecks reports thrown values that are not Errors too', async () => {
    expect(
      await runChecks([
        ['a', () => {}],
        [
          'b',
          () => {
            throw 'plain string';
          },
        ],
        ['c', () => Promise.reject(new Error('late'))],
      ]),
    ).toEqual(['b: plain string', 'c: late']);
  });
});
