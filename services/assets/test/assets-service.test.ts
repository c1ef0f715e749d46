import { connectAs, natsAccess, natsEnv, principalVerifyEnv } from '@media-vault/test-harness';
import { describeOnDatabases } from '@media-vault/test-harness/databases';
import { Svcm } from '@nats-io/services';
import { describe, expect, inject, it } from 'vitest';
import { loadAssetsConfig } from '../src/config.js';
import { startAssetsService } from '../src/assets-service.js';

const servers = inject('servers');
const nats = natsAccess(servers);

describeOnDatabases('assets service on $driver', (backend) => {
  it('migrates, serves health and is discoverable, twice on the same database', async () => {
    const database = await backend.create('assets');
    const env = {
      ...(await natsEnv(nats, { kind: 'assets' })),
      ...principalVerifyEnv(),
      HEALTH_PORT: '0',
      LOG_LEVEL: 'silent',
      ...database.env,
    };
    // The second start proves migrations are idempotent on an existing database.
    for (let run = 0; run < 2; run++) {
      const service = await startAssetsService(loadAssetsConfig(env));
      try {
        const ready = await fetch(`http://127.0.0.1:${service.healthPort}/readyz`);
        expect(ready.status).toBe(200);
        const nc = await connectAs(nats);
        try {
          const client = new Svcm(nc as never).client();
          const names: string[] = [];
          for await (const identity of await client.ping('assets')) names.push(identity.name);
          expect(names).toContain('assets');
        } finally {
          await nc.close();
        }
      } finally {
        await service.close();
      }
    }
  });
});

describe('assets settings', () => {
  it('refuses a chunk plan that could not fit in one merge job, naming both variables', () => {
    expect(() =>
      loadAssetsConfig({
        ...principalVerifyEnv(),
        ASSET_CHUNK_SIZE: String(64 * 1024),
        ASSET_MAX_SIZE: String(2 ** 32),
      }),
    ).toThrow(/ASSET_MAX_SIZE \/ ASSET_CHUNK_SIZE: at most 10000 chunks/);
    expect(loadAssetsConfig(principalVerifyEnv()).ASSET_CHUNK_SIZE).toBe(5 * 1024 * 1024);
  });

  it('refuses to start without the public key that verifies callers', () => {
    expect(() => loadAssetsConfig({})).toThrow(/PRINCIPAL_KEYS/);
    expect(() => loadAssetsConfig({ PRINCIPAL_KEYS: 'not-a-key' })).toThrow(/PRINCIPAL_KEYS/);
  });
});
