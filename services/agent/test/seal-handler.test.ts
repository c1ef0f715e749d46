import { TaskStatus, type SealJob } from '@media-vault/contracts';
import { createKuboIpfs, type IpfsPort } from '@media-vault/ipfs';
import { FfmpegRunner } from '@media-vault/media-tools';
import { openVaultCopy, SEGMENT_TAG_LENGTH } from '@media-vault/sealed';
import { createLogger, PermanentJobError, type JobContext } from '@media-vault/service-kit';
import type { TaskClient } from '@media-vault/task-client';
import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { randomUUID } from 'node:crypto';
import { appendFile, open, readdir, readFile, stat, utimes } from 'node:fs/promises';
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

const identityOf = async (path: string) => {
  const s = await stat(path, { bigint: true });
  return [s.dev, s.ino, s.size, s.mtimeNs];
};

/**
 * The seal handler on real Kubo, ffprobe and files, with the platform's task API played by the
 * test: every delivery finds the upload task still owed, as a seal redelivered after a crash
 * between adding and reporting does.
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
    const outcome = await sealHandler(agent, ipfs)(job, ctx).then(
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

  it('seals a redelivered, unchanged master to the same CID: one pin, one vault copy', async () => {
    const file = await master('unchanged.mp4');
    const job = jobFor('unchanged.mp4');
    const pinsBefore = await recursivePins();
    const first = await deliver(job);
    const second = await deliver(job);
    expect(first.outcome).toBeUndefined();
    expect(second.outcome).toBeUndefined();
    expect(first.cid).toMatch(/^bafy/);
    expect(second.cid).toBe(first.cid);
    const newPins = [...(await recursivePins())].filter((cid) => !pinsBefore.has(cid));
    expect(newPins).toEqual([first.cid]);
    expect(await vaultCopiesOf(job.uuid)).toHaveLength(1);
    // The pass that hashes the file reports its percent in status 1, before encrypting starts.
    const statuses = first.reports.map((r) => `${r.status}@${r.percent}`);
    expect(statuses.slice(0, 3)).toEqual(['1@0', '1@100', '2@0']);
    expect(statuses.at(-1)).toBe('8@100');
    expect((await stat(file.path)).size).toBe(file.size);
  }, 120_000);

  it('gives a master rewritten in place with its mtime forced back a key of its own', async () => {
    const file = await master('rewritten.mp4');
    await utimes(file.path, FORCED_TIME, FORCED_TIME);
    const job = jobFor('rewritten.mp4');
    const first = await deliver(job);
    const firstPlain = await readFile(file.path);
    const before = await identityOf(file.path);

    // Another cut of the same length, written over the old one: device, inode, size and mtime
    // are all as they were, which is everything a derivation from the file's metadata sees.
    await rewriteInPlace(file.path, (bytes) => {
      for (let at = SEGMENT; at < SEGMENT + 4096; at++) bytes[at]! ^= 0x5a;
    });
    expect(await identityOf(file.path)).toEqual(before);
    const second = await deliver(job);
    expect([first.outcome, second.outcome]).toEqual([undefined, undefined]);
    expect(second.cid).not.toBe(first.cid);

    const firstKey = await contentKeyOf(job.uuid, first.cid!);
    const secondKey = await contentKeyOf(job.uuid, second.cid!);
    expect(secondKey.equals(firstKey)).toBe(false);
    // What one key would have given away: the segment's ciphertexts XOR to its plaintexts' XOR.
    const secondPlain = await readFile(file.path);
    const segment1 = (bytes: Buffer, stride: number) => bytes.subarray(stride, stride + SEGMENT);
    const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((byte, i) => byte ^ b[i]!));
    const stride = SEGMENT + SEGMENT_TAG_LENGTH;
    const [firstBlock, secondBlock] = await Promise.all(
      [first.cid!, second.cid!].map((cid) => catAll(ipfs, cid)),
    );
    expect(
      xor(segment1(firstBlock!, stride), segment1(secondBlock!, stride)).equals(
        xor(segment1(firstPlain, SEGMENT), segment1(secondPlain, SEGMENT)),
      ),
    ).toBe(false);
  }, 120_000);

  it.each([
    [
      'rewritten in place with its mtime forced back',
      (path: string) =>
        rewriteInPlace(path, (bytes) => {
          bytes[bytes.length - 2 * SEGMENT]! ^= 0x01;
        }),
    ],
    ['appended to', (path: string) => appendFile(path, Buffer.alloc(10))],
  ])(
    'ends the seal of a master %s after it was hashed, keeping nothing and telling no digest',
    async (_what, change) => {
      const name = `changed-${randomUUID().slice(0, 8)}.mp4`;
      const file = await master(name);
      await utimes(file.path, FORCED_TIME, FORCED_TIME);
      const job = jobFor(name);
      const pinsBefore = await recursivePins();
      // Reported once the first pass is done and before the seal pass reads a byte.
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
