import { ConfigError } from '@media-vault/service-kit';
import { natsAccess, natsEnv } from '@media-vault/test-harness';
import { makeTempDir } from '@media-vault/test-harness';
import { describe, expect, inject, it } from 'vitest';
import { loadIpfsWorkerConfig } from '../src/config.js';
import { startIpfsWorker } from '../src/ipfs-worker.js';

const servers = inject('servers');
const { kuboApiUrl } = servers;
const nats = natsAccess(servers);

const nodes = {
  kubo: { IPFS_API_URL: kuboApiUrl },
  helia: {},
};

async function* bytes(text: string) {
  yield new TextEncoder().encode(text);
}

describe.each(Object.entries(nodes))('ipfs worker with %s', (_name, node) => {
  it('starts, reports ready with its peer id and stores through its node', async () => {
    const dir = await makeTempDir('ipfs-worker');
    const worker = await startIpfsWorker(
      loadIpfsWorkerConfig({
        ...(await natsEnv(nats, { kind: 'ipfs-worker' })),
        HEALTH_PORT: '0',
        LOG_LEVEL: 'silent',
        DATA_DIR: dir.path,
        ...node,
      }),
    );
    try {
      const ready = await fetch(`http://127.0.0.1:${worker.healthPort}/readyz`);
      expect(ready.status).toBe(200);
      expect(await worker.ipfs.peerId()).toMatch(/^(12D3KooW|Qm)/);
      const { cid, size } = await worker.ipfs.add(bytes('sealed bytes'));
      expect(size).toBe(12);
      expect(cid).toMatch(/^bafk/);
    } finally {
      await worker.close();
      await dir.remove();
    }
  });
});

describe('ipfs worker settings', () => {
  it('names a bad IPFS_API_URL', () => {
    expect(() => loadIpfsWorkerConfig({ IPFS_API_URL: 'localhost:5001' })).toThrow(/IPFS_API_URL/);
  });

  it('names every agent variable: the agent is its own service', () => {
    let problems: readonly string[] = [];
    try {
      loadIpfsWorkerConfig({ AGENT_ID: 'agent-1', AGENT_TOKEN: 't', INGEST_ROOT: '/srv/in' });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems).toEqual([
      'AGENT_ID: the agent is its own service (services/agent, npm run agent)',
      'AGENT_TOKEN: the agent is its own service (services/agent, npm run agent)',
      'INGEST_ROOT: the agent is its own service (services/agent, npm run agent)',
    ]);
  });
});
