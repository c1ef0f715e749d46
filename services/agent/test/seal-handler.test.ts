import { TaskStatus, type SealJob } from '@media-vault/contracts';
import { createKuboIpfs, type IpfsPort } from '@media-vault/ipfs';
import { FfmpegRunner } from '@media-vault/media-tools';
import { createOpenStream, openVaultCopy, SEGMENT_TAG_LENGTH } from '@media-vault/sealed';
import { createLogger, PermanentJobError, type JobContext } from '@media-vault/service-kit';
import type { TaskClient } from '@media-vault/task-client';
import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { createHash, randomUUID } from 'node:crypto';
import { appendFile, open, readdir, readFile, truncate, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AgentContext } from '../src/agent-context.js';
import { loadAgentConfig } from '../src/config.js';
import { loadOrCreateIdentity, type AgentSecrets } from '../src/identity-store.js';
import { KnownOwners } from '../src/owner-keys.js';
import { sealHandler } from '../src/seal.handler.js';
import { Vault } from '../src/vault.js';
import { makeMaster, type Master } from './support/master.js';

const { kuboApiUrl } = inject('servers');
const SEGMENT = 1_048_576;
const FORCED_TIME = new Date('2026-01-02T03:04:05Z');

const ctx: JobContext = { log: createLogger('test', 'silent'), attempt: 1, working: () => {} };

interface Report {
  readonly status: number;
  readonly percent?: number;
  readonly hash?: string;
}

async function catAll(ipfs: IpfsPort, cid: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of ipfs.cat(cid)) parts.push(part);
  return Buffer.concat(parts);
}

async function recursivePins(): Promise<Set<string>> {
  const res = await fetch(`${kuboApiUrl}/api/v0/pin/ls?type=recursive`, { method: 'POST' });
  const body = (await res.json()) as { Keys?: Record<string, unknown> };
  return new Set(Object.keys(body.Keys ?? {}));
}

/** Overwrites the master's bytes where they lie (same inode, same size), then forces its times back. */
async function rewriteInPlace(path: string, edit: (bytes: Buffer) => void): Promise<void> {
  const bytes = await readFile(path);
  edit(bytes);
  const handle = await open(path, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, 0);
  } finally {
    await handle.close();
  }
  await utimes(path, FORCED_TIME, FORCED_TIME);
}

async function openAll(sealed: Buffer, contentKey: Buffer, sourceUuid: string, size: number) {
  const opener = createOpenStream({
    contentKey,
    sourceUuid,
    plaintextSize: size,
    segmentSize: SEGMENT,
  });
  const parts: Buffer[] = [];
  opener.on('data', (chunk: Buffer) => parts.push(chunk));
  await new Promise((resolve, reject) => {
    opener.once('end', resolve).once('error', reject);
    opener.end(sealed);
  });
  return Buffer.concat(parts);
}

/**
 * The seal handler on real Kubo, ffprobe and files, with the platform's task API played by the
 * test: every delivery finds the upload task still owed, as a seal redelivered after a crash
 * before its last report does. Crashes are played by an IPFS port that fails where the process
 * would have died.
 */
describe('seal handler', () => {
  let dir: TempDir;
  let ipfs: IpfsPort;
  let secrets: AgentSecrets;
  let vault: Vault;
  let media: FfmpegRunner;
  const ingestRoot = () => join(dir.path, 'ingest');

  beforeAll(async () => {
    dir = await makeTempDir('seal-handler');
    ipfs = createKuboIpfs({ url: kuboApiUrl! });
    secrets = await loadOrCreateIdentity(join(dir.path, 'identity'), 'studio-agent');
    vault = new Vault(join(dir.path, 'vault'));
    const config = loadAgentConfig({ AGENT_ID: 'studio-agent', AGENT_TOKEN: 't' });
    media = new FfmpegRunner({
      ffmpegPath: config.FFMPEG_PATH,
      ffprobePath: config.FFPROBE_PATH,
      timeoutSeconds: config.FFMPEG_TIMEOUT_S,
    });
  }, 60_000);

  afterAll(async () => {
    await ipfs?.close();
    await dir?.remove();
  });

  const master = (name: string, seconds = 2): Promise<Master> =>
    makeMaster(join(ingestRoot(), 'masters', name), seconds);

  const jobFor = (name: string): SealJob => ({
    id: randomUUID(),
    agent: 'studio-agent',
    userId: 'studio',
    taskId: 21,
    sourceId: 7,
    uuid: randomUUID(),
    sourceName: name,
    path: `masters/${name}`,
  });

  /** One delivery of `job`; `onReport` runs before each report is answered. */
  async function deliver(
    job: SealJob,
    onReport: (report: Report) => Promise<void> = async () => {},
    through: IpfsPort = ipfs,
  ) {
    const reports: Report[] = [];
    const api = {
      getSource: async () => ({ status: TaskStatus.notStarted, percent: 0 }),
      reportUpload: async (_taskId: number, report: Report) => {
        reports.push({ status: report.status, percent: report.percent, hash: report.hash });
        await onReport(report);
        return {};
      },
    } as unknown as TaskClient;
    const agent: AgentContext = {
      settings: { ingestRoot: ingestRoot(), segmentSize: SEGMENT } as AgentContext['settings'],
      secrets,
      // Sealing never consults owner keys; the release and fetch tests cover them.
      ownerKey: new Uint8Array(32),
      knownOwners: new KnownOwners(join(dir.path, 'identity')),
      userId: 'studio',
      api,
      vault,
      media,
      peerId: '12D3KooWstudio',
    };
    const outcome = await sealHandler(agent, through)(job, ctx).then(
      () => undefined,
      (err: unknown) => err,
    );
    const cid = reports.find((r) => r.status === TaskStatus.done)?.hash;
    return { reports, outcome, cid };
  }

  const vaultCopiesOf = async (uuid: string) =>
    (await readdir(join(dir.path, 'vault')).catch(() => [] as string[])).filter((name) =>
      name.startsWith(`${uuid}.`),
    );

  const contentKeyOf = async (uuid: string, cid: string) => {
    const envelope = await vault.read(uuid, cid);
    return Buffer.from((await openVaultCopy(envelope!, secrets.identity, uuid)).contentKey);
  };

  const newPinsSince = async (before: Set<string>) =>
    [...(await recursivePins())].filter((cid) => !before.has(cid));

  /** The agent's IPFS port with one call replaced, to die where a crash would. */
  const failing = (calls: Partial<IpfsPort>): IpfsPort =>
    Object.assign(Object.create(ipfs) as IpfsPort, calls);

  const diesBeforeThePin = () =>
    failing({
      pin: async () => {
        throw new Error('killed before the pin');
      },
    });

  it('reports the recorded CID for a seal redelivered after it completed, pinning once', async () => {
    const file = await master('unchanged.mp4');
    const job = jobFor('unchanged.mp4');
    const pinsBefore = await recursivePins();
    const first = await deliver(job);
    // The master changes before the job comes back: the redelivery reads none of it.
    await appendFile(file.path, Buffer.alloc(10));
    const second = await deliver(job);
    expect(first.outcome).toBeUndefined();
    expect(second.outcome).toBeUndefined();
    expect(first.cid).toMatch(/^bafy/);
    expect(second.cid).toBe(first.cid);
    expect(await newPinsSince(pinsBefore)).toEqual([first.cid]);
    expect(await vaultCopiesOf(job.uuid)).toHaveLength(1);
    // One read of the file: it is hashed while it is encrypted, in status 2.
    const statuses = first.reports.map((r) => `${r.status}@${r.percent}`);
    expect(statuses.slice(0, 2)).toEqual(['1@0', '2@0']);
    expect(statuses).not.toContain('1@100');
    expect(statuses.at(-1)).toBe('8@100');
    // The redelivery sealed nothing: it went straight to the pin and the last reports.
    expect(second.reports.map((r) => r.status)).toEqual([TaskStatus.uploading, TaskStatus.done]);
    expect(second.reports.at(-1)).toEqual(first.reports.at(-1));
  }, 120_000);

  it('pins the recorded CID when the seal died after writing the vault copy, before the pin', async () => {
    await master('unpinned.mp4');
    const job = jobFor('unpinned.mp4');
    const pinsBefore = await recursivePins();
    const first = await deliver(job, async () => {}, diesBeforeThePin());
    expect((first.outcome as Error).message).toBe('killed before the pin');
    // The key is safe before anything is pinned: the copy names the CID that was added.
    const copies = await vaultCopiesOf(job.uuid);
    expect(copies).toHaveLength(1);
    const addedCid = copies[0]!.split('.')[1]!;
    expect(await ipfs.isPinned(addedCid)).toBe(false);

    const second = await deliver(job);
    expect(second.outcome).toBeUndefined();
    expect(second.cid).toBe(addedCid);
    expect(await newPinsSince(pinsBefore)).toEqual([addedCid]);
    expect(await vaultCopiesOf(job.uuid)).toEqual(copies);
    expect(await contentKeyOf(job.uuid, addedCid)).toHaveLength(32);
  }, 120_000);

  it('seals afresh when the recorded public block was collected before it was pinned', async () => {
    await master('collected.mp4');
    const job = jobFor('collected.mp4');
    await deliver(job, async () => {}, diesBeforeThePin());
    const [stale] = await vaultCopiesOf(job.uuid);
    const staleCid = stale!.split('.')[1]!;
    const gc = await fetch(`${kuboApiUrl}/api/v0/repo/gc`, { method: 'POST' });
    await gc.text();
    await expect(ipfs.stat(staleCid)).rejects.toThrow();

    const pinsBefore = await recursivePins();
    const second = await deliver(job);
    expect(second.outcome).toBeUndefined();
    expect(second.cid).toMatch(/^bafy/);
    expect(second.cid).not.toBe(staleCid);
    expect(await newPinsSince(pinsBefore)).toEqual([second.cid]);
    expect((await vaultCopiesOf(job.uuid)).sort()).toEqual(
      [stale, `${job.uuid}.${second.cid}.mvke`].sort(),
    );
  }, 120_000);

  it('seals again under a new key when the seal was killed in the middle of the add', async () => {
    const file = await master('killed.mp4');
    const job = jobFor('killed.mp4');
    const pinsBefore = await recursivePins();
    let killedStart: Buffer | undefined;
    const killedMidAdd = failing({
      add: async (source: AsyncIterable<Uint8Array>) => {
        const taken: Buffer[] = [];
        for await (const chunk of source) {
          taken.push(Buffer.from(chunk));
          if (Buffer.concat(taken).length >= 3 * SEGMENT) break;
        }
        killedStart = Buffer.concat(taken).subarray(0, SEGMENT);
        throw new Error('killed in the middle of the add');
      },
    });
    const first = await deliver(job, async () => {}, killedMidAdd);
    expect((first.outcome as Error).message).toBe('killed in the middle of the add');
    expect(await vaultCopiesOf(job.uuid)).toEqual([]);

    const second = await deliver(job);
    expect(second.outcome).toBeUndefined();
    expect(second.cid).toMatch(/^bafy/);
    expect(await newPinsSince(pinsBefore)).toEqual([second.cid]);
    expect(await vaultCopiesOf(job.uuid)).toEqual([`${job.uuid}.${second.cid}.mvke`]);
    // The same first segment, encrypted again: under the same key it would be the same bytes.
    const sealed = await catAll(ipfs, second.cid!);
    expect(killedStart).toHaveLength(SEGMENT);
    expect(sealed.subarray(0, SEGMENT).equals(killedStart!)).toBe(false);
    // And the public block opens to the master with the key the vault holds.
    const key = await contentKeyOf(job.uuid, second.cid!);
    const opened = await openAll(sealed, key, job.uuid, file.size);
    expect(createHash('sha256').update(opened).digest('hex')).toBe(file.sha256);
  }, 120_000);

  it('seals the same bytes for two sources under two keys, to two CIDs', async () => {
    await master('shared.mp4');
    const [one, two] = [jobFor('shared.mp4'), jobFor('shared.mp4')];
    const first = await deliver(one);
    const second = await deliver(two);
    expect([first.outcome, second.outcome]).toEqual([undefined, undefined]);
    expect(second.cid).not.toBe(first.cid);
    const [firstKey, secondKey] = await Promise.all([
      contentKeyOf(one.uuid, first.cid!),
      contentKeyOf(two.uuid, second.cid!),
    ]);
    expect(secondKey.equals(firstKey)).toBe(false);
    // What one key would give away: equal plaintext segments would seal to equal bytes.
    const [firstBlock, secondBlock] = await Promise.all(
      [first.cid!, second.cid!].map((cid) => catAll(ipfs, cid)),
    );
    const stride = SEGMENT + SEGMENT_TAG_LENGTH;
    const segment1 = (bytes: Buffer) => bytes.subarray(stride, stride + SEGMENT);
    expect(segment1(firstBlock!).equals(segment1(secondBlock!))).toBe(false);
  }, 120_000);

  it.each([
    [
      'written to in place',
      (path: string) =>
        rewriteInPlace(path, (bytes) => {
          bytes[bytes.length - 2 * SEGMENT]! ^= 0x01;
        }).then(() => utimes(path, new Date(), new Date())),
    ],
    ['appended to', (path: string) => appendFile(path, Buffer.alloc(10))],
    ['cut short', (path: string) => truncate(path, SEGMENT + 5)],
  ])(
    'ends the seal of a master %s after it was looked at, keeping nothing and telling no digest',
    async (_what, change) => {
      const name = `changed-${randomUUID().slice(0, 8)}.mp4`;
      const file = await master(name);
      await utimes(file.path, FORCED_TIME, FORCED_TIME);
      const job = jobFor(name);
      const pinsBefore = await recursivePins();
      // Reported once the file was stat'ed and probed, before its one read begins.
      const { reports, outcome } = await deliver(job, async (report) => {
        if (report.status === TaskStatus.encrypting && report.percent === 0) {
          await change(file.path);
        }
      });

      expect(outcome).toBeInstanceOf(PermanentJobError);
      const reason = (outcome as Error).message;
      expect(reason).toBe(`masters/${name} changed while it was being sealed`);
      expect(reason).not.toMatch(/[0-9a-f]{16}/);
      expect(reason).not.toContain(file.sha256);
      expect(reason).not.toContain(String(file.size));
      expect(reports.map((r) => r.status)).not.toContain(TaskStatus.uploading);
      expect(reports.map((r) => r.status)).not.toContain(TaskStatus.done);
      expect(await vaultCopiesOf(job.uuid)).toEqual([]);
      const newPins = [...(await recursivePins())].filter((cid) => !pinsBefore.has(cid));
      expect(newPins).toEqual([]);
    },
    120_000,
  );
});
