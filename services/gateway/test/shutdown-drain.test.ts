import { natsAccess } from '@media-vault/test-harness';
import { Agent, request } from 'node:http';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { buildGateway, type GatewayServer } from '../src/server.js';
import { testGatewayConfig } from './helpers.js';

const servers = inject('servers');

/**
 * One GET as a keep-alive client sends it, on a connection of its own; resolves with the status
 * and the `connection` header of the reply.
 */
const get = (url: string): Promise<{ status: number; connection: string | undefined }> =>
  new Promise((resolve, reject) => {
    const agent = new Agent({ keepAlive: true });
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        agent.destroy();
        resolve({ status: res.statusCode!, connection: res.headers.connection });
      });
    });
    req.on('error', (err) => {
      agent.destroy();
      reject(err);
    });
    req.end();
  });

// With two replicas behind a balancer, a gateway that stops must not reset a request a client
// is sending it: it keeps serving for the drain, says it is not ready, and closes connections
// after each reply, before it stops listening.
describe('gateway shutdown drain', () => {
  let gateway: GatewayServer | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('serves during the drain with /readyz at 503 and Connection: close, then refuses', async () => {
    gateway = await buildGateway(
      await testGatewayConfig(natsAccess(servers), 'drain-test-secret-0123456789', {
        SHUTDOWN_DRAIN_MS: '1500',
      }),
    );
    const url = gateway.url;
    expect((await get(`${url}/healthz`)).connection).not.toBe('close');

    const closing = gateway.close();
    await new Promise((done) => setTimeout(done, 200));
    expect(await get(`${url}/healthz`)).toEqual({ status: 200, connection: 'close' });
    const ready = await get(`${url}/readyz`);
    expect(ready).toEqual({ status: 503, connection: 'close' });

    await closing;
    await expect(get(`${url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('without a drain it stops listening at once', async () => {
    gateway = await buildGateway(
      await testGatewayConfig(natsAccess(servers), 'drain-test-secret-0123456789', {
        SHUTDOWN_DRAIN_MS: '0',
      }),
    );
    const started = Date.now();
    await gateway.close();
    expect(Date.now() - started).toBeLessThan(1_500);
    await expect(get(`${gateway.url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
  });
});
