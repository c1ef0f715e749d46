import { connectAs, natsAccess } from '@media-vault/test-harness';
import {
  ComposedJob,
  JobSubjects,
  masterMediaOf,
  Streams,
  ComposeJob,
  type MasterMedia,
  type ProbedMedia,
} from '@media-vault/contracts';
import { FfmpegRunner } from '@media-vault/media-tools';
import { createLogger, type JobContext } from '@media-vault/service-kit';
import { makeTempDir, readJobs, uniqueName, type TempDir } from '@media-vault/test-harness';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Value } from '@sinclair/typebox/value';
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { composedMsgId, composeHandler } from '../src/compose.handler.js';
import { loadAgentConfig } from '../src/config.js';
import { writeComposePlan, type ComposePlan } from '../src/download-files.js';

const servers = inject('servers');
const nats = natsAccess(servers);
const run = promisify(execFile);

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** A 2 s H.264 master made by ffmpeg, and what ffprobe (run here, not by the worker) says of it. */
async function makeMaster(dir: string): Promise<{ bytes: Buffer; media: MasterMedia }> {
  const path = join(dir, 'master.mp4');
  const args = '-f lavfi -i testsrc2=size=320x240:rate=25 -t 2 -c:v libx264 -preset ultrafast';
  await run('ffmpeg', ['-v', 'error', '-y', ...args.split(' '), path]);
  const { stdout } = await run('ffprobe', [
    ...'-v error -show_format -show_streams -of json'.split(' '),
    path,
  ]);
  return { bytes: await readFile(path), media: masterMediaOf(JSON.parse(stdout) as ProbedMedia) };
}

describe('compose handler, on real ffprobe and NATS', () => {
  let nc: NatsConnection;
  let dir: TempDir;
  let master: { bytes: Buffer; media: MasterMedia };
  let compose: ReturnType<typeof composeHandler>;
  const agent = uniqueName('agent');
  let downloads = 0;
  let downloadDir: string;

  beforeAll(async () => {
    dir = await makeTempDir('compose');
    downloadDir = join(dir.path, 'downloads');
    master = await makeMaster(dir.path);
    nc = await connectAs(nats);
    // Built as startAgentService builds it, from the agent's own configuration.
    const config = loadAgentConfig({ AGENT_ID: agent, AGENT_TOKEN: 'token-of-the-agent' });
    compose = composeHandler({
      nc,
      ffmpeg: new FfmpegRunner({
        ffmpegPath: config.FFMPEG_PATH,
        ffprobePath: config.FFPROBE_PATH,
        timeoutSeconds: config.FFMPEG_TIMEOUT_S,
      }),
      agent,
      downloadDir,
    });
  });

  afterAll(async () => {
    if (nc) {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.purge(Streams.jobs.name, { filter: JobSubjects.agent(agent) });
      await nc.close();
    }
    await dir?.remove();
  });

  /** A compose job with the files and the plan it refers to, for the assertions. */
  type Staged = ComposeJob & {
    readonly partialPath: string;
    readonly finalPath: string;
    readonly size: number;
    readonly sha256: string;
  };

  /**
   * What the agent's fetch step leaves for one download: `bytes` under the partial name (none when
   * `bytes` is null) and the compose plan, then the compose job it sends, which names only the
   * download.
   */
  async function stage(
    bytes: Uint8Array | null = master.bytes,
    plan: Partial<ComposePlan> = {},
  ): Promise<Staged> {
    const downloadTaskId = ++downloads;
    const work = join(downloadDir, '.partial', `download-${downloadTaskId}`);
    await mkdir(work, { recursive: true });
    const partialPath = join(work, 'master.partial');
    if (bytes) await writeFile(partialPath, bytes);
    const full: ComposePlan = {
      finalName: `Master-${downloadTaskId}.mp4`,
      size: master.bytes.length,
      sha256: sha256(master.bytes),
      media: master.media,
      ...plan,
    };
    await writeComposePlan(downloadDir, downloadTaskId, full);
    return {
      id: `${randomUUID()}:compose`,
      agent,
      downloadTaskId,
      partialPath,
      finalPath: join(downloadDir, full.finalName),
      size: full.size,
      sha256: full.sha256,
    };
  }

  /** The job as it travels on the bus: the download and nothing else. */
  const onTheBus = (job: Staged): ComposeJob => ({
    id: job.id,
    agent: job.agent,
    downloadTaskId: job.downloadTaskId,
  });

  function context(): { ctx: JobContext; heartbeats: () => number } {
    let beats = 0;
    const ctx: JobContext = {
      log: createLogger('compose-test', 'silent'),
      attempt: 1,
      working: () => void beats++,
    };
    return { ctx, heartbeats: () => beats };
  }

  /** The verdicts published for `job`, read from JOBS without taking them. */
  async function verdictsOf(job: Pick<ComposeJob, 'downloadTaskId'>) {
    const all = await readJobs<ComposedJob>(nc, JobSubjects.composed(agent));
    return all.filter((v) => v.job.downloadTaskId === job.downloadTaskId);
  }

  /** Runs the job once and returns its one verdict, checked against the contract. */
  async function composeOnce(job: Staged): Promise<ComposedJob> {
    await compose.handle(onTheBus(job), context().ctx);
    const verdicts = await verdictsOf(job);
    expect(verdicts).toHaveLength(1);
    const [verdict] = verdicts;
    expect(verdict!.subject).toBe(`jobs.ipfs.${agent}.composed`);
    expect(verdict!.msgId).toBe(`${job.id}:composed`);
    expect(Value.Check(ComposedJob, verdict!.job)).toBe(true);
    expect(verdict!.job).toMatchObject({
      id: composedMsgId(job),
      agent,
      downloadTaskId: job.downloadTaskId,
      finalPath: job.finalPath,
    });
    return verdict!.job;
  }

  /** A refused job leaves neither file behind. */
  async function expectRejected(job: Staged): Promise<string> {
    const verdict = await composeOnce(job);
    expect(verdict.ok).toBe(false);
    expect(await exists(job.partialPath)).toBe(false);
    expect(await exists(job.finalPath)).toBe(false);
    return verdict.reason ?? '';
  }

  it('records the master as ffprobe sees it', () => {
    expect(master.media).toEqual({
      container: 'mov,mp4,m4a,3gp,3g2,mj2',
      durationMs: 2_000,
      streams: [{ type: 'video', codec: 'h264' }],
    });
  });

  it('renames a verified master to its final name and tells the agent', async () => {
    const job = await stage();
    const { ctx, heartbeats } = context();
    await compose.handle(onTheBus(job), ctx);

    expect(await exists(job.partialPath)).toBe(false);
    expect(sha256(await readFile(job.finalPath))).toBe(job.sha256);
    expect(heartbeats()).toBeGreaterThan(0);
    const [verdict] = await verdictsOf(job);
    expect(verdict!.msgId).toBe(`${job.id}:composed`);
    expect(verdict!.job).toEqual({
      id: `${job.id}:composed`,
      agent,
      downloadTaskId: job.downloadTaskId,
      ok: true,
      finalPath: job.finalPath,
    });
  });

  it('removes a file whose bytes differ from the sha256 recorded at seal time', async () => {
    const tampered = Buffer.from(master.bytes);
    const middle = tampered.length >> 1;
    tampered[middle] = tampered[middle]! ^ 0xff;
    const job = await stage(tampered);
    const reason = await expectRejected(job);
    expect(reason).toBe('the composed file is not the bytes sealing recorded (sha256 differs)');
    // The verdict reaches the platform: it names no digest of the plaintext.
    expect(reason).not.toContain(job.sha256);
    expect(reason).not.toContain(sha256(tampered));
  });

  it('removes a file of another size before reading it through', async () => {
    const job = await stage(master.bytes.subarray(0, 1000));
    const reason = await expectRejected(job);
    expect(reason).toBe('the composed file is not the size sealing recorded');
    expect(reason).not.toContain(String(master.bytes.length));
  });

  it.each([
    ['another duration', (m: MasterMedia) => ({ ...m, durationMs: m.durationMs + 1_000 })],
    ['another container', (m: MasterMedia) => ({ ...m, container: 'matroska,webm' })],
    [
      'another stream',
      (m: MasterMedia) => ({ ...m, streams: [...m.streams, { type: 'audio', codec: 'aac' }] }),
    ],
  ])(
    'removes the right bytes when sealing recorded %s, telling the platform nothing of the media',
    async (_what, change) => {
      const recorded = change(master.media);
      const job = await stage(master.bytes, { media: recorded });
      const reason = await expectRejected(job);
      expect(reason).toBe('ffprobe does not read the composed file as sealing recorded it');
      expect(reason).not.toContain(master.media.container);
      expect(reason).not.toMatch(/\d{3,}/);
    },
  );

  it('removes bytes that ffprobe cannot read when sealing recorded media', async () => {
    const noise = randomBytes(64 * 1024);
    const job = await stage(noise, { size: noise.length, sha256: sha256(noise) });
    expect(await expectRejected(job)).toBe('ffprobe cannot read the composed file');
  });

  it('checks the sha256 alone when sealing recorded no media', async () => {
    const noise = randomBytes(64 * 1024);
    const job = await stage(noise, { size: noise.length, sha256: sha256(noise), media: null });
    expect(await composeOnce(job)).toMatchObject({ ok: true });
    expect(await readFile(job.finalPath)).toEqual(noise);
  });

  it('verifies the final file again on a rerun after the rename, answering once', async () => {
    const job = await stage();
    await compose.handle(onTheBus(job), context().ctx);
    // Redelivered: the partial is gone and the master already has its final name.
    expect(await exists(job.partialPath)).toBe(false);
    const verdict = await composeOnce(job);

    expect(verdict.ok).toBe(true);
    expect(sha256(await readFile(job.finalPath))).toBe(job.sha256);
  });

  it('answers ok when the first run renamed the master but died before answering', async () => {
    const job = await stage();
    await rename(job.partialPath, job.finalPath);
    expect(await composeOnce(job)).toMatchObject({ ok: true });
    expect(sha256(await readFile(job.finalPath))).toBe(job.sha256);
  });

  it("answers 'gone' when neither the partial nor the final file is there", async () => {
    const job = await stage(null);
    expect(await expectRejected(job)).toBe('the decrypted file is gone');
  });

  it('removes the partial and answers with the reason when the job is given up', async () => {
    const job = await stage();
    await compose.onGiveUp(onTheBus(job), 'ffprobe did not run: spawn ffprobe ENOENT');
    const [verdict] = await verdictsOf(job);
    expect(verdict!.job).toMatchObject({
      ok: false,
      reason: 'ffprobe did not run: spawn ffprobe ENOENT',
    });
    expect(await exists(job.partialPath)).toBe(false);
    expect(await exists(job.finalPath)).toBe(false);
  });

  describe('a compose job cannot point the agent anywhere', () => {
    // What a forged job would aim at: the vault copy of a sealed master, on the same disk.
    async function bystander(): Promise<string> {
      const path = join(dir.path, 'vault', `${randomUUID()}.mvke`);
      await mkdir(join(dir.path, 'vault'), { recursive: true });
      await writeFile(path, 'a vault copy');
      return path;
    }

    it("ignores paths a message carries: only the download's own files are touched", async () => {
      const victim = await bystander();
      const staged = await stage(master.bytes, { size: 1 });
      const forged = { ...onTheBus(staged), partialPath: victim, finalPath: victim };
      // The consumer refuses the message outright: the schema has no place for a path.
      expect(Value.Check(ComposeJob, forged)).toBe(false);
      // Even handed to the step, the paths are not read: the download's own partial fails its
      // check and is removed; the vault copy is as it was.
      await compose.handle(forged as ComposeJob, context().ctx);
      expect(await readFile(victim, 'utf8')).toBe('a vault copy');
      expect(await exists(staged.partialPath)).toBe(false);
      const [verdict] = await verdictsOf(staged);
      expect(verdict!.job).toMatchObject({ ok: false, finalPath: staged.finalPath });
    });

    it.each([
      ['addressed to another agent', (job: ComposeJob) => ({ ...job, agent: 'someone-else' })],
      [
        'for a download this agent is not composing',
        (job: ComposeJob) => ({ ...job, downloadTaskId: job.downloadTaskId + 1000 }),
      ],
    ])('drops a job %s, touching nothing and answering nothing', async (_what, change) => {
      const staged = await stage(master.bytes, { size: 1 });
      const job = change(onTheBus(staged));
      await compose.handle(job, context().ctx);
      await compose.onGiveUp(job, 'given up');
      expect(await exists(staged.partialPath)).toBe(true);
      expect(await verdictsOf(job)).toEqual([]);
      expect(await verdictsOf(staged)).toEqual([]);
    });

    it('drops a plan whose final name is not a file of the download folder', async () => {
      const victim = await bystander();
      const staged = await stage(master.bytes, { finalName: relative(downloadDir, victim) });
      await compose.handle(onTheBus(staged), context().ctx);
      expect(await readFile(victim, 'utf8')).toBe('a vault copy');
      expect(await exists(staged.partialPath)).toBe(true);
      expect(await verdictsOf(staged)).toEqual([]);
    });
  });
});
