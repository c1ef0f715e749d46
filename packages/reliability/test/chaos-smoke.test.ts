import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import type { NatsConnection } from '@nats-io/transport-node';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChaos } from '../src/chaos.js';
import { startPlatform, type Platform } from '../src/platform.js';

// One round of a fault or two on the whole platform (three NATS nodes, two replicas of every
// service), so the chaos suite keeps working between its long runs.
describe('chaos suite, shortened', () => {
  let dir: TempDir;
  let platform: Platform;
  let admin: NatsConnection;

  beforeAll(async () => {
    dir = await makeTempDir('chaos-smoke');
    platform = await startPlatform({ dir: dir.path, logLevel: 'warn' });
    admin = await platform.nats.connect();
  }, 240_000);

  afterAll(async () => {
    await admin?.close();
    await platform?.stop();
    await dir?.remove();
  });

  const logsOnFailure = () => `platform logs under ${dir.path}/logs`;

  it('kill -9 of a tasks replica mid-flow loses, doubles and strands nothing', async () => {
    const [row] = await runChaos(platform, admin, {
      rounds: 1,
      faults: ['kill-tasks'],
      mp3Dir: join(dir.path, 'mp3'),
      seed: 1,
    });
    expect(row!.flowsCompleted, JSON.stringify(row)).toBe(row!.flowsStarted);
    expect(row, logsOnFailure()).toMatchObject({ lost: 0, doubled: 0, inconsistent: 0 });
  }, 300_000);

  it("kill -9 of the studio's agent mid-seal: the sealed round trip still composes the same bytes", async () => {
    const [row] = await runChaos(platform, admin, {
      rounds: 1,
      faults: ['kill-agent'],
      mp3Dir: join(dir.path, 'mp3'),
      seed: 3,
    });
    // The flow itself checks the composed file's sha256 against the master's.
    expect(row!.flowsCompleted, JSON.stringify(row)).toBe(row!.flowsStarted);
    expect(row, logsOnFailure()).toMatchObject({ lost: 0, doubled: 0, inconsistent: 0 });
  }, 300_000);

  it('SIGTERM of a gateway under load with two replicas: no client request fails', async () => {
    const [row] = await runChaos(platform, admin, {
      rounds: 1,
      faults: ['term-gateway'],
      mp3Dir: join(dir.path, 'mp3'),
      seed: 2,
    });
    expect(row!.flowsCompleted, JSON.stringify(row)).toBe(row!.flowsStarted);
    // Refused connections never reached the gateway: a balancer sends them to the other one.
    expect(row, JSON.stringify(row!.notes)).toMatchObject({ http5xx: 0, connectionErrors: 0 });
    expect(row).toMatchObject({ lost: 0, doubled: 0, inconsistent: 0 });
  }, 300_000);
});
