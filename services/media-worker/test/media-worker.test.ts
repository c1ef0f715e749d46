import { natsAccess, natsEnv } from '@media-vault/test-harness';
import { ConfigError } from '@media-vault/service-kit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadMediaWorkerConfig } from '../src/config.js';
import { startMediaWorker, type MediaWorker } from '../src/media-worker.js';

const servers = inject('servers');
const nats = natsAccess(servers);

describe('media worker start-up', () => {
  let worker: MediaWorker;

  beforeAll(async () => {
    worker = await startMediaWorker(
      loadMediaWorkerConfig({
        ...(await natsEnv(nats, { kind: 'media-worker' })),
        HEALTH_PORT: '0',
        LOG_LEVEL: 'silent',
      }),
    );
  });
  afterAll(() => worker?.close());

  it('is alive and ready once ffmpeg and NATS answer', async () => {
    const base = `http://127.0.0.1:${worker.healthPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', failures: [] });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('process_cpu_seconds_total');
  });

  it('refuses to start without a runnable ffprobe, naming it', async () => {
    await expect(
      startMediaWorker(
        loadMediaWorkerConfig({
          ...(await natsEnv(nats, { kind: 'media-worker' })),
          HEALTH_PORT: '0',
          LOG_LEVEL: 'silent',
          FFPROBE_PATH: '/nonexistent/ffprobe',
        }),
      ),
    ).rejects.toThrow(/\/nonexistent\/ffprobe is not runnable/);
  });

  it('names a bad variable', () => {
    expect(() => loadMediaWorkerConfig({ HEALTH_PORT: 'x' })).toThrow(ConfigError);
    expect(() => loadMediaWorkerConfig({ HEALTH_PORT: 'x' })).toThrow(/HEALTH_PORT/);
  });
});
