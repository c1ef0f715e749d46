import { TaskStatus } from '@media-vault/contracts';
import {
  kuboIsPinned,
  makeTempDir,
  startKubo,
  startNats,
  waitFor,
  type StartedKubo,
  type StartedNats,
  type TempDir,
} from '@media-vault/test-harness';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AgentService } from '../src/agent-service.js';
import { grantSigned } from './support/grants.js';
import { makeMaster, sha256File, type Master } from './support/master.js';
import { startAgentInProcess, startPlatform, type Platform } from './support/platform.js';

const servers = inject('servers');
const SEGMENT = 1_048_576;
const run = Date.now().toString(36);
const users = { studio: `studio-${run}`, licensee: `licensee-${run}` };

/**
 * As on separate machines: the studio's agent, the licensee's agent and the platform each have
 * their own Kubo node (own repository and ports, loopback only), each agent's node peered with the
 * platform's only. Blocks travel between the nodes over IPFS.
 */
describe('agents on separate IPFS nodes', () => {
  let platform: Platform;
  let dir: TempDir;
  let master: Master;
  let hub: StartedKubo;
  let nats: StartedNats;
  let studioNode: StartedKubo;
  let licenseeNode: StartedKubo;
  let tokens: Record<keyof typeof users, string>;
  const running: AgentService[] = [];

  beforeAll(async () => {
    dir = await makeTempDir('separate-nodes');
    // A NATS server of its own: the platform's ipfs-worker here takes every pin job on JOBS, and
    // the other files' sealed blocks live on a node this network cannot reach.
    nats = await startNats();
    hub = await startKubo({ online: true, label: 'kubo-platform' });
    [studioNode, licenseeNode] = await Promise.all([
      startKubo({ online: true, peers: [hub], label: 'kubo-studio' }),
      startKubo({ online: true, peers: [hub], label: 'kubo-licensee' }),
    ]);
    [platform, master] = await Promise.all([
      startPlatform(
        { ...servers, natsUrl: nats.url, natsAuthDir: nats.authDir },
        { kuboApiUrl: hub.apiUrl, ipfsWorker: true },
      ),
      makeMaster(join(dir.path, 'ingest', 'reel', 'ep1.mp4'), 6),
    ]);
    tokens = {
      studio: await platform.token(users.studio),
      licensee: await platform.token(users.licensee),
    };
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(running.map((agent) => agent.close()));
    await platform?.stop();
    await Promise.allSettled([studioNode, licenseeNode, hub].map((node) => node?.stop()));
    await nats?.stop();
    await dir?.remove();
  });

  const agent = async (opts: Parameters<typeof startAgentInProcess>[1]) => {
    const started = await startAgentInProcess(platform, opts);
    running.push(started);
    return started;
  };

  it('seals on the studio node, the platform pins it, the licensee downloads it byte-identical after the studio node is gone, and deleting the source unpins it', async () => {
    const studio = `studio-${run}`;
    const licensee = `licensee-${run}`;
    const downloads = join(dir.path, 'licensee-downloads');
    const studioOpts = {
      id: studio,
      token: tokens.studio,
      dataDir: join(dir.path, 'studio'),
      ingestRoot: join(dir.path, 'ingest'),
      segmentSize: SEGMENT,
      ipfsApiUrl: studioNode.apiUrl,
    };
    const licenseeOpts = {
      id: licensee,
      token: tokens.licensee,
      dataDir: join(dir.path, 'licensee'),
      downloadDir: downloads,
      ipfsApiUrl: licenseeNode.apiUrl,
    };
    const studioAgent = await agent(studioOpts);
    // Registered, then stopped: its download is fetched only once the studio's node is gone.
    const firstLicensee = await startAgentInProcess(platform, licenseeOpts);
    await firstLicensee.close();

    const upload = await platform.call<{ id: number; source_id: number }>(
      tokens.studio,
      'POST',
      '/tasks/upload/pbulic/',
      {
        series_id: 233,
        uuid: `uuid-${run}`,
        source_name: 'ep1.mp4',
        path: 'reel/ep1.mp4',
        agent: studio,
      },
    );
    expect(upload.status).toBe(200);
    const source = await platform.waitForStatus(
      tokens.studio,
      `/sources/${upload.body.data.source_id}/`,
      [TaskStatus.done, TaskStatus.error],
    );
    expect(source).toMatchObject({ status: TaskStatus.done, ip: studioNode.peerId });
    const publicHash = source.hash as string;
    // The platform's node held none of it: it pins a copy fetched from the studio's node.
    // Generous waits: the pin job goes through the outbox, JOBS and a fetch between two nodes,
    // and the whole suite shares two cores.
    await waitFor(
      'the platform to pin the public block',
      async () => ((await kuboIsPinned(hub.apiUrl, publicHash)) ? true : undefined),
      { timeoutMs: 90_000, intervalMs: 200 },
    );

    const grant = await grantSigned(platform, {
      token: tokens.studio,
      ownerDir: join(dir.path, 'studio', 'agents', studio),
      sourceId: upload.body.data.source_id,
      userId: users.licensee,
      agent: licensee,
    });
    expect(grant.status).toBe(200);
    const opened = await platform.call<{ id: number }>(
      tokens.licensee,
      'GET',
      `/tasks/download/?source_id=${upload.body.data.source_id}&agent=${licensee}`,
    );
    expect(opened.status).toBe(200);
    const path = `/tasks/download/${opened.body.data.id}/`;
    await platform.waitForStatus(tokens.licensee, path, [TaskStatus.notStarted]);
    const envelopeHash = await waitFor(
      'the private block to be released',
      async () => {
        const { data } = (
          await platform.call<{ private_hash: string }>(tokens.licensee, 'GET', path)
        ).body;
        return data.private_hash || undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    await waitFor(
      'the platform to pin the private block',
      async () => ((await kuboIsPinned(hub.apiUrl, envelopeHash)) ? true : undefined),
      { timeoutMs: 90_000, intervalMs: 200 },
    );

    // The studio goes offline: its agent and its node.
    await studioAgent.close();
    running.splice(running.indexOf(studioAgent), 1);
    await studioNode.stop();

    await agent(licenseeOpts);
    const download = await platform.waitForStatus(tokens.licensee, path, [
      TaskStatus.done,
      TaskStatus.error,
    ]);
    expect(download).toMatchObject({ status: TaskStatus.done, private_status: TaskStatus.done });
    expect(await sha256File(join(downloads, 'ep1.mp4'))).toBe(master.sha256);

    // The studio withdraws the master: the platform's node lets go of both blocks it seeded.
    const sourcePath = `/sources/${upload.body.data.source_id}/`;
    expect((await platform.call(tokens.studio, 'DELETE', sourcePath)).status).toBe(200);
    await waitFor(
      'the platform to unpin the public and the private block',
      async () => {
        const pinned = await Promise.all(
          [publicHash, envelopeHash].map((cid) => kuboIsPinned(hub.apiUrl, cid)),
        );
        return pinned.every((p) => !p) || undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect((await platform.call(tokens.licensee, 'GET', sourcePath)).status).toBe(404);
    expect((await platform.call(tokens.studio, 'GET', sourcePath)).status).toBe(404);
  }, 240_000);
});
