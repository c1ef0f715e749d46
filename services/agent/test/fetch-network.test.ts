import { EventSubjects, TaskStatus } from '@media-vault/contracts';
import {
  makeTempDir,
  readSubject,
  startKubo,
  startNats,
  type StartedKubo,
  type StartedNats,
  type TempDir,
} from '@media-vault/test-harness';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AgentService } from '../src/agent-service.js';
import { grantSigned } from './support/grants.js';
import { makeMaster, sha256File, type Master } from './support/master.js';
import { startAgentInProcess, startPlatform, type Platform } from './support/platform.js';

const servers = inject('servers');
const SEGMENT = 1_048_576;
const run = Date.now().toString(36);
const users = { studio: `fstudio-${run}`, licensee: `flicensee-${run}` };
const agents = { studio: `fstudio-${run}`, licensee: `flicensee-${run}` };
/** Short waits so a fetch gives up in seconds: 4 attempts of 2 s, 1+2+4 s apart. */
const FETCH_TIMEOUT_S = 2;
const FETCH_ATTEMPTS = 4;

interface DownloadEvent {
  status: number;
  record: { percent: number; reason: string };
}

/**
 * The licensee's agent fetches over IPFS from the studio's node, which at first no reachable node
 * can dial (it is online but peered with nobody), and which the platform does not seed (no
 * ipfs-worker here): a block nobody reachable holds.
 */
describe('fetching a block its holder does not serve yet', () => {
  let platform: Platform;
  let dir: TempDir;
  let nats: StartedNats;
  let hub: StartedKubo;
  let studioNode: StartedKubo;
  let licenseeNode: StartedKubo;
  let tokens: Record<keyof typeof users, string>;
  let masters: { away: Master; back: Master; large: Master };
  const running: AgentService[] = [];
  const downloads = () => join(dir.path, 'downloads');

  /** Seals `path` (under the ingest root) on the studio's agent, grants it, opens the download. */
  async function sealAndOpen(path: string): Promise<{ id: number; hash: string; path: string }> {
    const upload = await platform.call<{ source_id: number }>(
      tokens.studio,
      'POST',
      '/tasks/upload/pbulic/',
      {
        series_id: 7,
        uuid: `uuid-${path}-${run}`,
        source_name: path,
        path,
        agent: agents.studio,
      },
    );
    expect(upload.status).toBe(200);
    const sourceId = upload.body.data.source_id;
    const source = await platform.waitForStatus(tokens.studio, `/sources/${sourceId}/`, [
      TaskStatus.done,
      TaskStatus.error,
    ]);
    expect(source).toMatchObject({ status: TaskStatus.done, ip: studioNode.peerId });
    const grant = await grantSigned(platform, {
      token: tokens.studio,
      ownerDir: join(dir.path, 'studio', 'agents', agents.studio),
      sourceId,
      userId: users.licensee,
      agent: agents.licensee,
    });
    expect(grant.status).toBe(200);
    const opened = await platform.call<{ id: number }>(
      tokens.licensee,
      'GET',
      `/tasks/download/?source_id=${sourceId}&agent=${agents.licensee}`,
    );
    expect(opened.status).toBe(200);
    const id = opened.body.data.id;
    return { id, hash: source.hash as string, path: `/tasks/download/${id}/` };
  }

  const eventsOf = async (id: number): Promise<DownloadEvent[]> =>
    (await readSubject(platform.nc, EventSubjects.downloadTask(id))).map((m) =>
      m.json<DownloadEvent>(),
    );

  /** The studio's node joins the network: it connects to the platform's node. */
  const studioComesBack = async () => {
    const url = new URL('/api/v0/swarm/connect', studioNode.apiUrl);
    url.searchParams.set('arg', hub.swarmAddress);
    const res = await fetch(url, { method: 'POST' });
    expect(res.ok, await res.text()).toBe(true);
  };

  beforeAll(async () => {
    dir = await makeTempDir('fetch-network');
    nats = await startNats();
    hub = await startKubo({ online: true, label: 'kubo-platform' });
    [studioNode, licenseeNode] = await Promise.all([
      startKubo({ online: true, label: 'kubo-studio-away' }),
      startKubo({ online: true, peers: [hub], label: 'kubo-licensee' }),
    ]);
    const ingest = join(dir.path, 'ingest');
    const [started, away, back, large] = await Promise.all([
      startPlatform(
        { ...servers, natsUrl: nats.url, natsAuthDir: nats.authDir },
        { kuboApiUrl: hub.apiUrl },
      ),
      makeMaster(join(ingest, 'away.mp4'), 2),
      makeMaster(join(ingest, 'back.mp4'), 2),
      // Several tens of MB (about 4 MB a second of video), for the transfer's progress.
      makeMaster(join(ingest, 'large.mp4'), 12),
    ]);
    platform = started;
    masters = { away, back, large };
    tokens = {
      studio: await platform.token(users.studio),
      licensee: await platform.token(users.licensee),
    };
    running.push(
      await startAgentInProcess(platform, {
        id: agents.studio,
        token: tokens.studio,
        dataDir: join(dir.path, 'studio'),
        ingestRoot: ingest,
        segmentSize: SEGMENT,
        ipfsApiUrl: studioNode.apiUrl,
      }),
      await startAgentInProcess(platform, {
        id: agents.licensee,
        token: tokens.licensee,
        dataDir: join(dir.path, 'licensee'),
        downloadDir: downloads(),
        ipfsApiUrl: licenseeNode.apiUrl,
        fetchTimeoutSeconds: FETCH_TIMEOUT_S,
        fetchAttempts: FETCH_ATTEMPTS,
      }),
    );
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled(running.map((agent) => agent.close()));
    await platform?.stop();
    await Promise.allSettled([studioNode, licenseeNode, hub].map((node) => node?.stop()));
    await nats?.stop();
    await dir?.remove();
  });

  const away = { id: 0, hash: '', path: '' };

  it('ends the download at 9 naming the block, after every bounded attempt', async () => {
    Object.assign(away, await sealAndOpen('away.mp4'));
    const started = performance.now();
    const ended = await platform.waitForStatus(tokens.licensee, away.path, [
      TaskStatus.done,
      TaskStatus.error,
    ]);
    const elapsedMs = performance.now() - started;
    expect(ended.status).toBe(TaskStatus.error);
    // Each attempt waited its full time on the network before the next.
    expect(elapsedMs).toBeGreaterThanOrEqual(FETCH_ATTEMPTS * FETCH_TIMEOUT_S * 1000);
    const failed = (await eventsOf(away.id)).filter((e) => e.status === TaskStatus.error);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.record.reason).toBe(
      `the public block could not be fetched: ${away.hash} was not found on the IPFS network within ${FETCH_TIMEOUT_S} s (attempt ${FETCH_ATTEMPTS})`,
    );
  }, 120_000);

  it('finishes without a 9 when the holder comes back while the fetch is being retried', async () => {
    const back = await sealAndOpen('back.mp4');
    await platform.waitForStatus(tokens.licensee, back.path, [TaskStatus.downloading]);
    // The first attempt has given up by now (its dial found nobody); the next one will not.
    await sleep(FETCH_TIMEOUT_S * 1000 + 500);
    await studioComesBack();
    const ended = await platform.waitForStatus(tokens.licensee, back.path, [
      TaskStatus.done,
      TaskStatus.error,
    ]);
    expect(ended.status).toBe(TaskStatus.done);
    expect((await eventsOf(back.id)).map((e) => e.status)).not.toContain(TaskStatus.error);
    expect(await sha256File(join(downloads(), 'back.mp4'))).toBe(masters.back.sha256);
  }, 120_000);

  it('downloads the block that ended at 9 once its user asks again (9 → 0)', async () => {
    expect(away.id).toBeGreaterThan(0);
    const retried = await platform.call(tokens.licensee, 'PATCH', away.path, {
      status: TaskStatus.notStarted,
    });
    expect(retried.status).toBe(200);
    const ended = await platform.waitForStatus(tokens.licensee, away.path, [
      TaskStatus.done,
      TaskStatus.error,
    ]);
    expect(ended.status).toBe(TaskStatus.done);
    expect(await sha256File(join(downloads(), 'away.mp4'))).toBe(masters.away.sha256);
  }, 120_000);

  it("reports the transfer's percent while the blocks arrive, not one jump to 100", async () => {
    const large = await sealAndOpen('large.mp4');
    const ended = await platform.waitForStatus(tokens.licensee, large.path, [
      TaskStatus.done,
      TaskStatus.error,
    ]);
    expect(ended.status).toBe(TaskStatus.done);
    expect(await sha256File(join(downloads(), 'large.mp4'))).toBe(masters.large.sha256);
    expect(masters.large.size).toBeGreaterThan(20_000_000);
    const transfer = (await eventsOf(large.id))
      .filter((e) => e.status === TaskStatus.downloading)
      .map((e) => e.record.percent);
    const between = transfer.filter((percent) => percent > 0 && percent < 100);
    expect(between.length, `percents at status 4: ${transfer.join(', ')}`).toBeGreaterThan(0);
    expect(between).toEqual([...between].sort((a, b) => a - b));
  }, 180_000);
});
