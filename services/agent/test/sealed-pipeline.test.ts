import {
  EventSubjects,
  JobSubjects,
  TaskStatus,
  type AuditEntry,
  type ReleaseJob,
} from '@media-vault/contracts';
import { publishJob } from '@media-vault/service-kit';
import { createKuboIpfs, type IpfsPort } from '@media-vault/ipfs';
import {
  encodeRawKey,
  generateAgentIdentity,
  isSealedFormatError,
  openKeyEnvelope,
  sealedLayout,
  verifyAuditChain,
} from '@media-vault/sealed';
import { makeTempDir, readSubject, waitFor, type TempDir } from '@media-vault/test-harness';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IDENTITY_FILE, loadOrCreateIdentity } from '../src/identity-store.js';
import { Vault } from '../src/vault.js';
import type { AgentService } from '../src/agent-service.js';
import { makeMaster, sha256File, type Master } from './support/master.js';
import {
  startAgentInProcess,
  startAgentProcess,
  startPlatform,
  type Platform,
} from './support/platform.js';
import { grantSigned, revokeSigned } from './support/grants.js';

const servers = inject('servers');
const SEGMENT = 1_048_576;
const run = Date.now().toString(36);
const agentId = (name: string) => `${name}-${run}`;
const users = { studio: `studio-${run}`, licensee: `licensee-${run}`, third: `third-${run}` };

interface TaskEventBody {
  previous_status: number | null;
  status: number;
  record: { percent: number; private_status?: number; reason: string };
}

async function eventsOf(platform: Platform, subject: string): Promise<TaskEventBody[]> {
  return (await readSubject(platform.nc, subject)).map((m) => m.json<TaskEventBody>());
}

/** Waits until a seal has hashed its file and started the encrypting pass. */
async function untilEncrypting(platform: Platform, subject: string): Promise<void> {
  await waitFor(
    'the seal to be encrypting',
    async () => (await eventsOf(platform, subject)).some((e) => e.status === TaskStatus.encrypting),
    { timeoutMs: 60_000, intervalMs: 10 },
  );
}

/**
 * Statuses never go back, and no change is published twice (a download task also changes when
 * the private task it mirrors does).
 */
function expectOrderlyEvents(events: TaskEventBody[]): void {
  const keys = events.map(
    (e) => `${e.previous_status}>${e.status}@${e.record.percent}/${e.record.private_status}`,
  );
  expect(new Set(keys).size).toBe(keys.length);
  const statuses = events.map((e) => e.status).filter((s) => s !== TaskStatus.error);
  expect(statuses).toEqual([...statuses].sort((a, b) => a - b));
}

async function auditLogOf(platform: Platform, token: string, sourceId: number) {
  const reply = await platform.call<AuditEntry[]>(token, 'GET', `/sources/${sourceId}/audit/`);
  expect(reply.status).toBe(200);
  return reply.body.data;
}

/** The agents' signing keys as their own key files hold them: known apart from the log. */
async function trustedKeysOf(...agents: { dir: string; id: string }[]) {
  const keys: Record<string, string> = {};
  for (const { dir, id } of agents) {
    keys[id] = encodeRawKey((await loadOrCreateIdentity(dir, id)).identity.signingPublicKey);
  }
  return keys;
}

async function recursivePins(kuboApiUrl: string): Promise<Set<string>> {
  const res = await fetch(`${kuboApiUrl}/api/v0/pin/ls?type=recursive`, { method: 'POST' });
  const body = (await res.json()) as { Keys?: Record<string, unknown> };
  return new Set(Object.keys(body.Keys ?? {}));
}

async function catAll(ipfs: IpfsPort, cid: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of ipfs.cat(cid)) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe('sealed master pipeline on Kubo, ffmpeg, Postgres and NATS', () => {
  let platform: Platform;
  let dir: TempDir;
  let ipfs: IpfsPort;
  let master: Master;
  let tokens: Record<keyof typeof users, string>;
  const ingestRoot = () => join(dir.path, 'ingest');
  const running: AgentService[] = [];

  /** What the first test leaves for the others. */
  const sealed = { sourceId: 0, publicHash: '', envelopeHash: '' };
  /** What the mid-seal crash test leaves for the mid-fetch one. */
  const crashed: {
    sourceId: number;
    master?: Master;
    sealer?: Parameters<typeof startAgentInProcess>[1];
  } = { sourceId: 0 };

  beforeAll(async () => {
    dir = await makeTempDir('sealed-pipeline');
    [platform, master] = await Promise.all([
      startPlatform(servers),
      makeMaster(join(dir.path, 'ingest', '仙剑奇侠传', 'ep21.mp4'), 6),
    ]);
    ipfs = createKuboIpfs({ url: servers.kuboApiUrl! });
    tokens = {
      studio: await platform.token(users.studio),
      licensee: await platform.token(users.licensee),
      third: await platform.token(users.third),
    };
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(running.map((w) => w.close()));
    await ipfs?.close();
    await platform?.stop();
    await dir?.remove();
  });

  const agent = async (opts: Parameters<typeof startAgentInProcess>[1]) => {
    const worker = await startAgentInProcess(platform, opts);
    running.push(worker);
    return worker;
  };

  const createUpload = async (path: string, sealer: string) => {
    const reply = await platform.call<{ id: number; source_id: number; uuid: string }>(
      tokens.studio,
      'POST',
      '/tasks/upload/pbulic/',
      {
        series_id: 233,
        uuid: `uuid-${path}-${run}`,
        source_name: basename(path),
        path,
        agent: sealer,
      },
    );
    expect(reply.status).toBe(200);
    return reply.body.data;
  };

  it('seals, releases, fetches and composes a byte-identical master, each change one event', async () => {
    const studio = agentId('studio');
    const licensee = agentId('licensee');
    const downloads = join(dir.path, 'licensee-downloads');
    const studioWorker = await agent({
      id: studio,
      token: tokens.studio,
      dataDir: join(dir.path, 'studio'),
      ingestRoot: ingestRoot(),
      segmentSize: SEGMENT,
    });
    await agent({
      id: licensee,
      token: tokens.licensee,
      dataDir: join(dir.path, 'licensee'),
      downloadDir: downloads,
    });

    const upload = await createUpload('仙剑奇侠传/ep21.mp4', studio);
    const source = await platform.waitForStatus(tokens.studio, `/sources/${upload.source_id}/`, [
      TaskStatus.done,
      TaskStatus.error,
    ]);
    const layout = sealedLayout(master.size, SEGMENT);
    expect(source).toMatchObject({
      status: TaskStatus.done,
      name: 'ep21.mp4',
      file: '仙剑奇侠传',
      size: layout.publicBlockSize,
      ip: await studioWorker.ipfs.peerId(),
      sealed_by: studio,
    });
    const publicHash = source.hash as string;
    expect(publicHash).toMatch(/^bafy/);
    expect(await ipfs.isPinned(publicHash)).toBe(true);

    // The public block is ciphertext: no piece of any plaintext segment appears in it.
    const publicBlock = await catAll(ipfs, publicHash);
    expect(publicBlock.length).toBe(layout.publicBlockSize);
    const plaintext = await readFile(master.path);
    for (let offset = 0; offset < plaintext.length; offset += SEGMENT) {
      const probe = plaintext.subarray(offset, offset + 64);
      expect(publicBlock.indexOf(probe)).toBe(-1);
    }

    // The agent's secrets and vault are its own user's only; the vault copy is named by the
    // master's uuid and public CID, not by the platform's source id.
    const studioDir = join(dir.path, 'studio', 'agents', studio);
    expect((await stat(join(studioDir, IDENTITY_FILE))).mode & 0o777).toBe(0o600);
    const vaultCopy = new Vault(join(studioDir, 'vault')).pathOf(upload.uuid, publicHash);
    expect(basename(vaultCopy)).toMatch(new RegExp(`^[0-9a-f]{64}\\.${publicHash}\\.mvke$`));
    expect(await readdir(join(studioDir, 'vault'))).toEqual([basename(vaultCopy)]);
    expect((await stat(vaultCopy)).mode & 0o777).toBe(0o600);

    // The owner signs the grant for the licensee's agent with the owner key beside its agent.
    const grant = await grantSigned(platform, {
      token: tokens.studio,
      ownerDir: studioDir,
      sourceId: upload.source_id,
      userId: users.licensee,
      agent: licensee,
    });
    expect(grant.status).toBe(200);
    expect(grant.body.data.signed_grant?.statement).toMatchObject({
      recipient: users.licensee,
      recipient_agent: licensee,
      sealer: studio,
    });
    const opened = await platform.call<{ id: number }>(
      tokens.licensee,
      'GET',
      `/tasks/download/?source_id=${upload.source_id}&agent=${licensee}`,
    );
    expect(opened.status).toBe(200);
    const download = await platform.waitForStatus(
      tokens.licensee,
      `/tasks/download/${opened.body.data.id}/`,
      [TaskStatus.done, TaskStatus.error],
    );
    expect(download).toMatchObject({ status: TaskStatus.done, private_status: TaskStatus.done });

    const composed = join(downloads, 'ep21.mp4');
    expect(await sha256File(composed)).toBe(master.sha256);
    expect(await readdir(join(downloads, '.partial'))).toEqual([]);

    const uploadEvents = await eventsOf(platform, EventSubjects.uploadTask(upload.id));
    expectOrderlyEvents(uploadEvents);
    expect([...new Set(uploadEvents.map((e) => e.status))]).toEqual([0, 1, 2, 3, 8]);
    const downloadEvents = await eventsOf(
      platform,
      EventSubjects.downloadTask(opened.body.data.id),
    );
    expectOrderlyEvents(downloadEvents);
    expect(downloadEvents.at(-1)?.status).toBe(TaskStatus.done);
    expect(downloadEvents.map((e) => e.status)).toEqual(
      expect.arrayContaining([
        TaskStatus.downloading,
        TaskStatus.downloadingKey,
        TaskStatus.composing,
      ]),
    );

    // The source's audit log: the grant, then each agent's step, signed by the agent that did it.
    const log = await auditLogOf(platform, tokens.studio, upload.source_id);
    expect(log.map((e) => [e.seq, e.kind, e.actor])).toEqual([
      [1, 'grant', { user_id: users.studio }],
      [2, 'release', { user_id: users.studio, agent: studio }],
      [3, 'fetch', { user_id: users.licensee, agent: licensee }],
      [4, 'compose', { user_id: users.licensee, agent: licensee }],
    ]);
    expect(log.map((e) => e.signature?.agent)).toEqual([undefined, studio, licensee, licensee]);
    expect(log[1]!.data).toMatchObject({
      envelope_cid: download.private_hash,
      public_block_cid: publicHash,
      recipient: { user_id: users.licensee, agent: licensee },
    });
    expect(log[2]!.data).toMatchObject({ envelope_cid: download.private_hash, sealer: studio });
    expect(log[3]!.data).toMatchObject({ download_task_id: opened.body.data.id });
    // Nothing about the plaintext reaches the platform.
    expect(JSON.stringify(log)).not.toContain(master.sha256);
    const trustedKeys = await trustedKeysOf(
      { dir: join(dir.path, 'studio', 'agents', studio), id: studio },
      { dir: join(dir.path, 'licensee', 'agents', licensee), id: licensee },
    );
    expect(verifyAuditChain(log, { trustedKeys })).toMatchObject({
      ok: true,
      head: { seq: 4, hash: log[3]!.hash },
    });

    Object.assign(sealed, {
      sourceId: upload.source_id,
      publicHash,
      envelopeHash: download.private_hash as string,
    });
  }, 180_000);

  it('a released private block opens only for the agent it was sealed to', async () => {
    expect(sealed.envelopeHash).not.toBe('');
    const envelope = await catAll(ipfs, sealed.envelopeHash);
    const studio = await loadOrCreateIdentity(
      join(dir.path, 'studio', 'agents', agentId('studio')),
      agentId('studio'),
    );
    const licensee = await loadOrCreateIdentity(
      join(dir.path, 'licensee', 'agents', agentId('licensee')),
      agentId('licensee'),
    );
    const signer = { signingPublicKey: studio.identity.signingPublicKey };
    const ok = await openKeyEnvelope(envelope, { recipient: licensee.identity, signer });
    expect(ok.privateBlock.publicBlockCid).toBe(sealed.publicHash);

    const third = generateAgentIdentity('third-agent');
    const refused = await openKeyEnvelope(envelope, { recipient: third, signer }).catch(
      (e: unknown) => e,
    );
    expect(isSealedFormatError(refused, 'wrong-recipient')).toBe(true);
    // Even claiming the licensee's id, the third agent's key cannot decrypt it.
    const posing = { ...third, id: licensee.identity.id };
    const forged = await openKeyEnvelope(envelope, { recipient: posing, signer }).catch(
      (e: unknown) => e,
    );
    expect(isSealedFormatError(forged)).toBe(true);
  });

  it('a fetch or release an agent cannot do ends its task in 9 with the reason', async () => {
    // A master uploaded by hand (no sealing agent): its key is nobody's to release.
    const upload = await platform.call<{ id: number; source_id: number }>(
      tokens.studio,
      'POST',
      '/tasks/upload/pbulic/',
      { series_id: 233, uuid: `hand-${run}`, source_name: 'hand.mov' },
    );
    expect(upload.status).toBe(200);
    const done = await platform.call(
      tokens.studio,
      'PATCH',
      `/tasks/upload/pbulic/${upload.body.data.id}/`,
      {
        status: 8,
        hash: sealed.publicHash,
        size: 1,
        name: 'hand.mov',
      },
    );
    expect(done.status).toBe(200);
    await platform.call(tokens.studio, 'POST', `/sources/${upload.body.data.source_id}/grants/`, {
      user_id: users.licensee,
    });

    // The licensee's agent is asked to fetch it: with no sealer there is no key to wait for.
    const opened = await platform.call<{ id: number }>(
      tokens.licensee,
      'GET',
      `/tasks/download/?source_id=${upload.body.data.source_id}&agent=${agentId('licensee')}`,
    );
    expect(opened.status).toBe(200);
    await platform.waitForStatus(tokens.licensee, `/tasks/download/${opened.body.data.id}/`, [
      TaskStatus.error,
    ]);
    const downloadEvents = await eventsOf(
      platform,
      EventSubjects.downloadTask(opened.body.data.id),
    );
    expect(downloadEvents.at(-1)?.record.reason).toMatch(/not sealed by an agent/);

    // The studio's agent is asked to release it: its vault holds no private block of that source.
    const privateTask = (
      await platform.call<{ id: number; source_id: number }[]>(
        tokens.studio,
        'GET',
        '/tasks/upload/private/',
      )
    ).body.data.find((t) => t.source_id === upload.body.data.source_id)!;
    const studioIdentity = await loadOrCreateIdentity(
      join(dir.path, 'studio', 'agents', agentId('studio')),
      agentId('studio'),
    );
    const release: ReleaseJob = {
      id: `release-hand-${run}`,
      agent: agentId('studio'),
      ownerId: users.studio,
      privateTaskId: privateTask.id,
      downloadTaskId: opened.body.data.id,
      sourceId: upload.body.data.source_id,
      uuid: `hand-${run}`,
      // The real public block, under another uuid: the vault copy is keyed by both.
      publicBlockCid: sealed.publicHash,
      recipient: {
        userId: users.licensee,
        agent: agentId('licensee'),
        peerId: 'peer',
        publicKey: encodeRawKey(studioIdentity.identity.publicKey),
        signingKey: encodeRawKey(studioIdentity.identity.signingPublicKey),
      },
    };
    await publishJob(platform.nc, JobSubjects.release(agentId('studio')), release, release.id);
    await waitFor(
      'the release to fail',
      async () => {
        const { data } = (
          await platform.call<{ id: number; status: number }[]>(
            tokens.studio,
            'GET',
            '/tasks/upload/private/',
          )
        ).body;
        return data.find((t) => t.id === privateTask.id)?.status === TaskStatus.error;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const privateEvents = await eventsOf(platform, EventSubjects.privateTask(privateTask.id));
    // A job put on the bus asks; the grant it leans on was never signed by the owner.
    expect(privateEvents.at(-1)?.record.reason).toMatch(/no release: .* not signed by the owner/);
  }, 120_000);

  /** The reasons the newest private task of a source gave, as its owner sees them. */
  const privateReasonsOf = async (sourceId: number): Promise<string> => {
    const owed = (
      await platform.call<{ id: number; source_id: number }[]>(
        tokens.studio,
        'GET',
        '/tasks/upload/private/',
      )
    ).body.data.filter((t) => t.source_id === sourceId);
    const newest = Math.max(...owed.map((t) => t.id));
    const events = await eventsOf(platform, EventSubjects.privateTask(newest));
    return events.map((e) => e.record.reason).join('\n');
  };

  it("root grants itself and downloads with its own agent: the owner's agent releases nothing", async () => {
    expect(sealed.sourceId).not.toBe(0);
    const rootUser = `root-${run}`;
    const rootToken = await platform.token(rootUser, [1]);
    const rootAgent = agentId('root');
    await agent({
      id: rootAgent,
      token: rootToken,
      dataDir: join(dir.path, 'root'),
      downloadDir: join(dir.path, 'root-downloads'),
    });
    // Root may administer grants on the platform: the grant is stored, unsigned.
    const granted = await platform.call<{ signed_grant: unknown }>(
      rootToken,
      'POST',
      `/sources/${sealed.sourceId}/grants/`,
      { user_id: rootUser },
    );
    expect(granted.status).toBe(200);
    expect(granted.body.data.signed_grant).toBeNull();
    const opened = await platform.call<{ id: number }>(
      rootToken,
      'GET',
      `/tasks/download/?source_id=${sealed.sourceId}&agent=${rootAgent}`,
    );
    expect(opened.status).toBe(200);
    const download = await platform.waitForStatus(
      rootToken,
      `/tasks/download/${opened.body.data.id}/`,
      [TaskStatus.done, TaskStatus.error],
    );
    expect(download).toMatchObject({ status: TaskStatus.error, private_hash: '' });
    expect(await privateReasonsOf(sealed.sourceId)).toMatch(
      /no release: the grant of user root-\w+ is not signed by the owner/,
    );
    expect(existsSync(join(dir.path, 'root-downloads', 'ep21.mp4'))).toBe(false);
  }, 120_000);

  it('a grant revoked between the download and the release: no key is released', async () => {
    expect(sealed.sourceId).not.toBe(0);
    const studioDir = join(dir.path, 'studio', 'agents', agentId('studio'));
    const late = agentId('licensee-late');
    await agent({
      id: late,
      token: tokens.licensee,
      dataDir: join(dir.path, 'licensee-late'),
      downloadDir: join(dir.path, 'late-downloads'),
    });
    // The studio's agent is away: the release job waits on the bus while the owner revokes.
    const studioWorker = running[0]!;
    await studioWorker.close();
    running.splice(0, 1);
    const grant = await grantSigned(platform, {
      token: tokens.studio,
      ownerDir: studioDir,
      sourceId: sealed.sourceId,
      userId: users.licensee,
      agent: late,
    });
    expect(grant.status).toBe(200);
    const opened = await platform.call<{ id: number }>(
      tokens.licensee,
      'GET',
      `/tasks/download/?source_id=${sealed.sourceId}&agent=${late}`,
    );
    expect(opened.status).toBe(200);
    const revoked = await revokeSigned(platform, {
      token: tokens.studio,
      ownerDir: studioDir,
      sourceId: sealed.sourceId,
      userId: users.licensee,
      grant: grant.body.data,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.data).toMatchObject({ status: 'revoked' });
    expect(revoked.body.data.signed_revocation).not.toBeNull();

    await agent({
      id: agentId('studio'),
      token: tokens.studio,
      dataDir: join(dir.path, 'studio'),
      ingestRoot: ingestRoot(),
      segmentSize: SEGMENT,
    });
    const download = await platform.waitForStatus(
      tokens.licensee,
      `/tasks/download/${opened.body.data.id}/`,
      [TaskStatus.done, TaskStatus.error],
    );
    expect(download).toMatchObject({ status: TaskStatus.error, private_hash: '' });
    expect(await privateReasonsOf(sealed.sourceId)).toMatch(
      /no release: the grant of user licensee-\w+ was revoked/,
    );
  }, 120_000);

  it('a flipped byte in the public block ends the download in 9 and leaves no file', async () => {
    const licensee = agentId('licensee-tamper');
    const downloads = join(dir.path, 'tamper-downloads');
    const dataDir = join(dir.path, 'licensee-tamper');
    // Registered, then stopped, so the public block copy can be tampered before it fetches.
    const first = await agent({
      id: licensee,
      token: tokens.licensee,
      dataDir,
      downloadDir: downloads,
    });
    await first.close();
    const grant = await grantSigned(platform, {
      token: tokens.studio,
      ownerDir: join(dir.path, 'studio', 'agents', agentId('studio')),
      sourceId: sealed.sourceId,
      userId: users.licensee,
      agent: licensee,
    });
    expect(grant.status).toBe(200);
    const opened = await platform.call<{ id: number }>(
      tokens.licensee,
      'GET',
      `/tasks/download/?source_id=${sealed.sourceId}&agent=${licensee}`,
    );
    expect(opened.status).toBe(200);
    const publicBlock = await catAll(ipfs, sealed.publicHash);
    publicBlock[Math.floor(publicBlock.length / 2)]! ^= 0x01;
    const work = join(downloads, '.partial', `download-${opened.body.data.id}`);
    await mkdir(work, { recursive: true });
    await writeFile(join(work, 'public.block'), publicBlock);

    await agent({ id: licensee, token: tokens.licensee, dataDir, downloadDir: downloads });
    const download = await platform.waitForStatus(
      tokens.licensee,
      `/tasks/download/${opened.body.data.id}/`,
      [TaskStatus.done, TaskStatus.error],
    );
    expect(download.status).toBe(TaskStatus.error);
    const events = await eventsOf(platform, EventSubjects.downloadTask(opened.body.data.id));
    expect(events.at(-1)?.record.reason).toMatch(/does not open: tampered/);
    expect(existsSync(join(downloads, 'ep21.mp4'))).toBe(false);
    // The key was fetched and verified before the public block failed: both are in the log,
    // the failure once the task has heard its 9.
    const mine = await waitFor(
      'the failure entry',
      async () => {
        const entries = (await auditLogOf(platform, tokens.studio, sealed.sourceId)).filter(
          (e) => e.actor.agent === licensee,
        );
        return entries.some((e) => e.kind === 'failure') ? entries : undefined;
      },
      { intervalMs: 200 },
    );
    expect(mine.map((e) => e.kind)).toEqual(['fetch', 'failure']);
    expect(mine[1]!.data).toMatchObject({
      task: 'download',
      task_id: opened.body.data.id,
      job: 'fetch',
      reason: expect.stringMatching(/does not open: tampered/),
    });
    await waitFor('the work directory to be removed', () => !existsSync(work));
  }, 120_000);

  it('a release whose window has closed is refused by the agent, and new downloads by the API', async () => {
    const third = agentId('third');
    const downloads = join(dir.path, 'third-downloads');
    const dataDir = join(dir.path, 'third');
    const first = await agent({ id: third, token: tokens.third, dataDir, downloadDir: downloads });
    await first.close();
    const notAfter = new Date(Date.now() + 4_000);
    const grant = await grantSigned(platform, {
      token: tokens.studio,
      ownerDir: join(dir.path, 'studio', 'agents', agentId('studio')),
      sourceId: sealed.sourceId,
      userId: users.third,
      agent: third,
      notAfter,
    });
    expect(grant.status).toBe(200);
    const opened = await platform.call<{ id: number }>(
      tokens.third,
      'GET',
      `/tasks/download/?source_id=${sealed.sourceId}&agent=${third}`,
    );
    expect(opened.status).toBe(200);
    // The studio's agent releases at once; the third agent opens the release only after it expired.
    await waitFor(
      'the release',
      async () => {
        const { data } = (
          await platform.call<{ private_hash: string }>(
            tokens.third,
            'GET',
            `/tasks/download/${opened.body.data.id}/`,
          )
        ).body;
        return data.private_hash !== '';
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await sleep(Math.max(0, notAfter.getTime() - Date.now() + 1_500));

    await agent({ id: third, token: tokens.third, dataDir, downloadDir: downloads });
    const download = await platform.waitForStatus(
      tokens.third,
      `/tasks/download/${opened.body.data.id}/`,
      [TaskStatus.done, TaskStatus.error],
    );
    expect(download.status).toBe(TaskStatus.error);
    const events = await eventsOf(platform, EventSubjects.downloadTask(opened.body.data.id));
    expect(events.at(-1)?.record.reason).toMatch(/cannot be opened: outside-window/);
    expect(existsSync(join(downloads, 'ep21.mp4'))).toBe(false);

    const again = await platform.call(
      tokens.third,
      'GET',
      `/tasks/download/?source_id=${sealed.sourceId}&agent=${third}`,
    );
    expect(again.status).toBe(403);
    expect(again.body.message).toMatch(/expired|cannot download/);
  }, 120_000);

  it('an agent killed mid-seal finishes on redelivery: one new pin, no event twice', async () => {
    const studio = agentId('studio-crash');
    const bigger = await makeMaster(join(ingestRoot(), 'crash', 'ep22.mp4'), 20);
    const opts = {
      id: studio,
      token: tokens.studio,
      dataDir: join(dir.path, 'studio-crash'),
      ingestRoot: ingestRoot(),
      segmentSize: SEGMENT,
      ackWaitSeconds: 3,
    };
    const pinsBefore = await recursivePins(platform.kuboApiUrl);
    const first = await startAgentProcess(platform, opts);
    const upload = await createUpload('crash/ep22.mp4', studio);
    const subject = EventSubjects.uploadTask(upload.id);
    await untilEncrypting(platform, subject);
    await first.stop('SIGKILL');
    const before = await platform.call<{ status: number }>(
      tokens.studio,
      'GET',
      `/sources/${upload.source_id}/`,
    );
    expect(before.body.data.status).toBeLessThan(TaskStatus.done);

    const second = await startAgentProcess(platform, opts);
    try {
      const source = await platform.waitForStatus(tokens.studio, `/sources/${upload.source_id}/`, [
        TaskStatus.done,
        TaskStatus.error,
      ]);
      expect(source.status).toBe(TaskStatus.done);
      const newPins = [...(await recursivePins(platform.kuboApiUrl))].filter(
        (cid) => !pinsBefore.has(cid),
      );
      expect(newPins).toEqual([source.hash]);
      expectOrderlyEvents(await eventsOf(platform, subject));
      expect(bigger.size).toBeGreaterThan(20 * SEGMENT);
      Object.assign(crashed, { sourceId: upload.source_id, master: bigger, sealer: opts });
    } finally {
      await second.stop();
    }
  }, 180_000);

  it('an agent killed mid-fetch resumes on redelivery and composes the same bytes', async () => {
    expect(crashed.sourceId).not.toBe(0);
    // The sealer has to be there to release the key.
    await agent(crashed.sealer!);
    const licensee = agentId('licensee-crash');
    const downloads = join(dir.path, 'crash-downloads');
    const opts = {
      id: licensee,
      token: tokens.licensee,
      dataDir: join(dir.path, 'licensee-crash'),
      downloadDir: downloads,
      ackWaitSeconds: 3,
    };
    const first = await startAgentProcess(platform, opts);
    const grant = await grantSigned(platform, {
      token: tokens.studio,
      ownerDir: join(dir.path, 'studio-crash', 'agents', agentId('studio-crash')),
      sourceId: crashed.sourceId,
      userId: users.licensee,
      agent: licensee,
    });
    expect(grant.status).toBe(200);
    const opened = await platform.call<{ id: number }>(
      tokens.licensee,
      'GET',
      `/tasks/download/?source_id=${crashed.sourceId}&agent=${licensee}`,
    );
    expect(opened.status).toBe(200);
    const subject = EventSubjects.downloadTask(opened.body.data.id);
    await waitFor(
      'the fetch to be downloading',
      async () =>
        (await eventsOf(platform, subject)).some((e) => e.status === TaskStatus.downloading),
      { timeoutMs: 60_000, intervalMs: 10 },
    );
    await first.stop('SIGKILL');

    const second = await startAgentProcess(platform, opts);
    try {
      const download = await platform.waitForStatus(
        tokens.licensee,
        `/tasks/download/${opened.body.data.id}/`,
        [TaskStatus.done, TaskStatus.error],
      );
      expect(download.status).toBe(TaskStatus.done);
      expect(await sha256File(join(downloads, 'ep22.mp4'))).toBe(crashed.master!.sha256);
      expectOrderlyEvents(await eventsOf(platform, subject));
      const mine = (await auditLogOf(platform, tokens.studio, crashed.sourceId)).filter(
        (e) => e.actor.agent === licensee,
      );
      expect(mine.map((e) => e.kind)).toEqual(['fetch', 'compose']);
    } finally {
      await second.stop();
    }
  }, 180_000);

  it('a master changed in place while it is sealed ends the task in 9, with no digest and no vault copy', async () => {
    const studio = agentId('studio-changed');
    const dataDir = join(dir.path, 'studio-changed');
    const changed = await makeMaster(join(ingestRoot(), 'changed', 'ep23.mp4'), 20);
    const forced = new Date('2026-01-02T03:04:05Z');
    await utimes(changed.path, forced, forced);
    const sealer = await startAgentProcess(platform, {
      id: studio,
      token: tokens.studio,
      dataDir,
      ingestRoot: ingestRoot(),
      segmentSize: SEGMENT,
    });
    try {
      const upload = await createUpload('changed/ep23.mp4', studio);
      const subject = EventSubjects.uploadTask(upload.id);
      await untilEncrypting(platform, subject);
      // Its last segment is rewritten while the seal reads it, with the size it had: only the
      // mtime tells, and a seal of bytes from before and after the write is not the master.
      const handle = await open(changed.path, 'r+');
      try {
        await handle.write(Buffer.from('changed'), 0, 7, changed.size - SEGMENT / 2);
      } finally {
        await handle.close();
      }

      const source = await platform.waitForStatus(tokens.studio, `/sources/${upload.source_id}/`, [
        TaskStatus.done,
        TaskStatus.error,
      ]);
      expect(source.status).toBe(TaskStatus.error);
      const reason = (await eventsOf(platform, subject)).at(-1)?.record.reason ?? '';
      expect(reason).toBe('changed/ep23.mp4 changed while it was being sealed');
      expect(reason).not.toMatch(/[0-9a-f]{16}/);
      const vaultDir = join(dataDir, 'agents', studio, 'vault');
      expect(await readdir(vaultDir).catch(() => [])).toEqual([]);
    } finally {
      await sealer.stop();
    }
  }, 180_000);

  it('an agent whose keys were lost refuses to start instead of orphaning its vault', async () => {
    // The studio agent sealed masters above: its vault holds copies sealed to its own key.
    const keys = join(dir.path, 'studio', 'agents', agentId('studio'));
    const kept = join(keys, `${IDENTITY_FILE}.kept`);
    await rename(join(keys, IDENTITY_FILE), kept);
    try {
      const started = startAgentInProcess(platform, {
        id: agentId('studio'),
        token: tokens.studio,
        dataDir: join(dir.path, 'studio'),
        ingestRoot: ingestRoot(),
      });
      await expect(started).rejects.toThrow(/cannot be opened with this agent's key.*restore/);
    } finally {
      // The refused start made a new identity; the kept one is the one the vault needs.
      await rename(kept, join(keys, IDENTITY_FILE));
    }
    // With its own keys back, the agent starts.
    const back = await agent({
      id: agentId('studio'),
      token: tokens.studio,
      dataDir: join(dir.path, 'studio'),
      ingestRoot: ingestRoot(),
    });
    await back.close();
  }, 60_000);
});
