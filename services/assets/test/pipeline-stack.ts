import {
  AssetBuckets,
  AudioAssetCommandSubjects as S,
  chunkObjectKey,
  EventSubjects,
  type AssetStatus,
  type AudioAsset,
  type CommandRequest,
  type CommandResponse,
  type CommandsOf,
  type Principal,
} from '@media-vault/contracts';
import { sendCommand } from '@media-vault/service-kit';
import { jobsConsumed, kuboIsPinned, tapSubject, type MediaFile } from '@media-vault/test-harness';
import {
  connectAs,
  createDatabase,
  makeTempDir,
  natsEnv,
  principalVerifyEnv,
  readSubject,
  stagingEnvFor,
  stagingKindFromEnv,
  startNats,
  startService,
  testSigner,
  uniqueName,
  waitFor,
  type StagingEnv,
  type StagingKind,
  type StartedNats,
  type StartedProcess,
  type TempDir,
} from '@media-vault/test-harness';
import { stagingFromSettings, type StagingBuckets } from '@media-vault/object-store';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import { startAssetsService, type AssetsService } from '../src/assets-service.js';
import { loadAssetsConfig } from '../src/config.js';

export { waitFor };

export const ROOT = 1;
export const ASSETS = 100;
export const REVIEWER = 120;

/** How long the merge pipeline (ffmpeg on a busy two-core machine included) may take. */
export const PIPELINE_TIMEOUT_MS = 180_000;

export const sha256 = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

export interface AssetEvent {
  readonly id: string;
  readonly at: string;
  readonly previous_status: AssetStatus | null;
  readonly status: AssetStatus;
  readonly record: AudioAsset;
}

export {
  ffprobe,
  integratedLoudness,
  makeMp3,
  makeWav,
  type MediaFile,
  type ProbedFile,
} from '@media-vault/test-harness';

/** What a refused command leaves: its error kind and message. */
export interface Refusal {
  readonly kind: string;
  readonly message: string;
}

/** The refusal of `work`, or a failure naming the reply when it succeeded. */
export async function refusal(work: Promise<unknown>): Promise<Refusal> {
  try {
    const reply = await work;
    throw new Error(`expected a refusal, got ${JSON.stringify(reply)}`);
  } catch (err) {
    const { kind, message } = err as { kind?: string; message: string };
    if (!kind) throw err;
    return { kind, message };
  }
}

export interface PipelineStackOptions {
  /** Start the media and ipfs workers (the merge pipeline); default true. */
  readonly workers?: boolean;
  readonly chunkSize?: number;
  /** Extra settings of the assets service (e.g. a tiny DRAFT_TTL_HOURS). */
  readonly assetsEnv?: Record<string, string>;
  /**
   * Where the service and the workers stage chunks and merged files; default: OBJECT_STORE from
   * the test's environment, else fs (one directory they all share).
   */
  readonly staging?: StagingKind;
}

/**
 * The assets service with the merge pipeline behind it: a nats-server of its own (the service's
 * pipeline consumers are durable and its asset ids are per database, so two stacks on one
 * JetStream would take each other's merge results), the service in this process and the media
 * and ipfs workers as processes. Callers talk to it in commands, as the gateway does.
 */
export class PipelineStack {
  private readonly staging: StagingBuckets;

  private constructor(
    readonly nc: NatsConnection,
    readonly service: AssetsService,
    readonly kuboApiUrl: string,
    readonly chunkSize: number,
    /** Scratch directory for media files. */
    readonly dir: string,
    private readonly workers: StartedProcess[],
    private readonly cleanup: (() => Promise<void>)[],
    stagingEnv: StagingEnv,
  ) {
    this.staging = stagingFromSettings({ ...stagingEnv, DATA_DIR: dir }, () => jetstream(nc), [
      ...Object.values(AssetBuckets),
    ]);
  }

  static async start(opts: PipelineStackOptions = {}): Promise<PipelineStack> {
    const { postgresUrl, kuboApiUrl, s3 } = inject('servers');
    if (!postgresUrl || !kuboApiUrl)
      throw new Error('the global set-up must start Postgres and Kubo');
    const cleanup: (() => Promise<void>)[] = [];
    try {
      const chunkSize = opts.chunkSize ?? 65_536;
      const nats: StartedNats = await startNats();
      cleanup.push(() => nats.stop());
      const dir: TempDir = await makeTempDir('assets-pipeline');
      cleanup.push(() => dir.remove());
      const nc = await connectAs(nats);
      cleanup.push(() => nc.close());
      const staging = await stagingEnvFor(opts.staging ?? stagingKindFromEnv(), dir.path, s3);
      // The service first: it creates the buckets the workers open.
      const service = await startAssetsService(
        loadAssetsConfig({
          ...(await natsEnv(nats, { kind: 'assets' })),
          ...principalVerifyEnv(),
          DATABASE_URL: await createDatabase(postgresUrl, uniqueName('assets_pipeline')),
          DATA_DIR: join(dir.path, 'assets'),
          ...staging,
          HEALTH_PORT: '0',
          LOG_LEVEL: 'warn',
          ASSET_CHUNK_SIZE: String(chunkSize),
          // As many chunks as one merge job may list.
          ASSET_MAX_SIZE: String(chunkSize * 10_000),
          ...opts.assetsEnv,
        }),
      );
      cleanup.push(() => service.close());
      const workers: StartedProcess[] = [];
      if (opts.workers ?? true) {
        const start = async (name: 'media-worker' | 'ipfs-worker', subject: string) => {
          const worker = await startService({
            service: name,
            env: {
              ...(await natsEnv(nats, { kind: name })),
              IPFS_API_URL: kuboApiUrl,
              ...staging,
              DATA_DIR: join(dir.path, name),
              TMP_DIR: join(dir.path, `${name}-tmp`),
            },
            readyWhen: /health endpoints listening/,
            timeoutMs: 90_000,
          });
          workers.push(worker);
          cleanup.push(() => worker.stop());
          await waitFor(`${name} to consume ${subject}`, () => jobsConsumed(nc, subject), {
            timeoutMs: 30_000,
            intervalMs: 100,
          });
        };
        await Promise.all([
          start('media-worker', 'jobs.media.merge'),
          start('ipfs-worker', 'jobs.ipfs.add'),
        ]);
      }
      return new PipelineStack(
        nc,
        service,
        kuboApiUrl,
        chunkSize,
        dir.path,
        workers,
        cleanup,
        staging,
      );
    } catch (err) {
      for (const step of cleanup.reverse()) await step().catch(() => undefined);
      throw err;
    }
  }

  async stop(): Promise<void> {
    for (const step of this.cleanup.reverse()) await step().catch(() => undefined);
  }

  /** Last output of the workers, for failure messages. */
  logs(): string {
    return this.workers.map((w) => w.output()).join('\n---\n');
  }

  /** Sends one command signed for `principal`, as the gateway would after checking its token. */
  command<C extends CommandsOf<'assets'>>(
    principal: Principal,
    subject: C,
    request: CommandRequest<C>,
  ): Promise<CommandResponse<C>> {
    return sendCommand(this.nc, subject, request, {
      principal,
      signer: testSigner,
      timeoutMs: 15_000,
    });
  }

  // --- the upload flow ------------------------------------------------------------------------

  create(p: Principal, file: { name: string; size: number | string; hash: string }) {
    return this.command(p, S.assetCreate, file);
  }

  created(p: Principal, name: string, file: MediaFile) {
    return this.create(p, { name, size: file.bytes.length, hash: file.hash });
  }

  piece(bytes: Buffer, index: number): Buffer {
    return bytes.subarray(index * this.chunkSize, (index + 1) * this.chunkSize);
  }

  bucket(name: string) {
    return this.staging.open(name);
  }

  /**
   * One chunk the way the gateway stores it: the bytes go to a fresh staging key, Commit records
   * them (and a stored chunk's duplicate object is deleted again).
   */
  async chunk(p: Principal, id: string, index: number, piece: Buffer) {
    const object = chunkObjectKey(id, index, randomUUID());
    const store = await this.bucket(AssetBuckets.chunks);
    await store.put(
      object,
      (async function* () {
        yield new Uint8Array(piece);
      })(),
    );
    const committed = await this.command(p, S.assetChunkCommit, {
      id,
      index,
      object,
      size: piece.length,
      hash: sha256(piece),
    });
    if (committed.duplicate) await store.delete(object).catch(() => undefined);
    return { object, committed };
  }

  /** Stores the chosen chunks (default all) of `bytes`. */
  async upload(p: Principal, id: string, bytes: Buffer, indexes?: readonly number[]) {
    const count = Math.ceil(bytes.length / this.chunkSize);
    const replies = [];
    for (const index of indexes ?? [...Array(count).keys()]) {
      replies.push((await this.chunk(p, id, index, this.piece(bytes, index))).committed);
    }
    return replies;
  }

  merge(p: Principal, id: string, submit?: boolean) {
    return this.command(p, S.assetMerge, { id, ...(submit === undefined ? {} : { submit }) });
  }

  async get(p: Principal, id: string): Promise<AudioAsset> {
    return (await this.command(p, S.assetGet, { id })).asset;
  }

  /** Polls Get until the merge pipeline is done with the asset, and returns it. */
  async settled(p: Principal, id: string): Promise<AudioAsset> {
    return waitFor(
      `asset ${id} to leave MERGING`,
      async () => {
        const asset = await this.get(p, id);
        return asset.status === 'MERGING' ? undefined : asset;
      },
      { timeoutMs: PIPELINE_TIMEOUT_MS, intervalMs: 200 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.logs()}`);
    });
  }

  /** Create, upload every chunk, merge and wait: a merged asset (SUBMIT unless submit=false). */
  async ingest(
    p: Principal,
    name: string,
    file: MediaFile,
    opts: { submit?: boolean } = {},
  ): Promise<AudioAsset> {
    const plan = await this.created(p, name, file);
    expect(plan.exists).toBe(false);
    await this.upload(p, plan.id, file.bytes);
    await this.merge(p, plan.id, opts.submit);
    const asset = await this.settled(p, plan.id);
    expect(asset, asset.reason).toMatchObject({
      status: opts.submit === false ? 'DRAFT' : 'SUBMIT',
      merged: true,
    });
    return asset;
  }

  /** The bytes a Download command points at, read from IPFS as the gateway streams them. */
  async download(p: Principal, id: string, file: 0 | 1 | 2 = 0): Promise<Buffer> {
    const target = await this.command(p, S.assetDownload, { id, file });
    const res = await fetch(`${this.kuboApiUrl}/api/v0/cat?arg=${encodeURIComponent(target.cid)}`, {
      method: 'POST',
    });
    if (!res.ok) throw new Error(`kubo cat ${target.cid}: ${res.status} ${await res.text()}`);
    return Buffer.from(await res.arrayBuffer());
  }

  // --- what the platform did ------------------------------------------------------------------

  /** Every status event of the asset so far, oldest first. */
  async events(id: string): Promise<AssetEvent[]> {
    const messages = await readSubject(this.nc, EventSubjects.audioAsset(id));
    return messages.map((m) => m.json<AssetEvent>());
  }

  /** Waits until the asset has `count` events, then returns them. */
  async eventsUntil(id: string, count: number, timeoutMs = 30_000): Promise<AssetEvent[]> {
    await waitFor(
      `${count} events of asset ${id}`,
      async () => (await this.events(id)).length >= count,
      { timeoutMs, intervalMs: 100 },
    );
    return this.events(id);
  }

  /** Names of the live objects a pipeline bucket holds for an asset (chunks by default). */
  async chunkObjects(id: string, bucket: string = AssetBuckets.chunks): Promise<string[]> {
    const store = await this.bucket(bucket);
    const names: string[] = [];
    for await (const o of store.list(`${id}/`)) names.push(o.key);
    return names.sort();
  }

  /** Resolves once Kubo holds a pin on none of `cids` (unpinning runs as a job). */
  async untilUnpinned(cids: readonly string[]): Promise<void> {
    await waitFor(
      'the files to be unpinned',
      async () => {
        for (const cid of cids) if (await this.isPinned(cid)) return undefined;
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  }

  /** Whether Kubo holds a recursive pin on `cid`. */
  isPinned(cid: string): Promise<boolean> {
    return kuboIsPinned(this.kuboApiUrl, cid);
  }

  /** Collects every message published on `subject` (JetStream publishes included) from now on. */
  tap<T = Record<string, unknown>>(subject: string): Promise<{ messages: T[]; stop(): void }> {
    return tapSubject<T>(this.nc, subject);
  }
}

let people = 0;
/** A principal with a unique id, so tests never see each other's assets by accident. */
export const person = (label: string, roles: number[]): Principal => {
  const id = `${label}-${Date.now().toString(36)}-${++people}`;
  return { id, name: id, roles };
};
