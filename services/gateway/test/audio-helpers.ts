import {
  AssetBuckets,
  AudioAssetCommandSubjects as S,
  EventSubjects,
  Roles,
  type AssetStatus,
  type AudioAsset,
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
  testSigner,
  uniqueName,
  waitFor,
  type NatsAccess,
  type S3Access,
  type StagingEnv,
  type StagingKind,
  type StartedNats,
  type TempDir,
} from '@media-vault/test-harness';
import { stagingFromSettings, type StagingBuckets } from '@media-vault/object-store';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import { buildGateway, type GatewayServer } from '../src/server.js';
import { repoRoot, signToken, testGatewayConfig, type ServiceProcess } from './helpers.js';

export { waitFor };

export const ROOT = Roles.root;
export const ASSETS = Roles.assets;
export const REVIEWER = Roles.reviewerAssets;

export const sha256 = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/** How long the merge pipeline (ffmpeg on a busy two-core machine included) may take. */
export const PIPELINE_TIMEOUT_MS = 180_000;

// ---------------------------------------------------------------------------------------------
// Replies of the audio asset API (grpc-gateway JSON)

export interface Reply<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON when the reply is JSON, else the text. */
  readonly body: T;
  readonly bytes: Buffer;
}

export interface GrpcErrorBody {
  readonly code: number;
  readonly message: string;
  readonly details: unknown[];
}

export interface CreateReply {
  readonly id: string;
  readonly exists: boolean;
  readonly chunkSize: number;
  readonly chunkCount: number;
  readonly asset: AudioAsset;
}

export interface ChunkReply {
  readonly index: number;
  readonly size: string;
  readonly hash: string;
  readonly duplicate: boolean;
}

export interface ChunksReply {
  readonly id: string;
  readonly chunkSize: number;
  readonly chunkCount: number;
  readonly chunks: { index: number; size: string; hash: string }[];
}

export interface AssetPage {
  readonly items: AudioAsset[];
  readonly total: string;
}

export interface AssetEvent {
  readonly id: string;
  readonly at: string;
  readonly previous_status: AssetStatus | null;
  readonly status: AssetStatus;
  readonly record: AudioAsset;
}

/** grpc codes of the error kinds the audio routes answer with. */
export const Grpc = {
  invalidArgument: 3,
  notFound: 5,
  permissionDenied: 7,
  aborted: 10,
  outOfRange: 11,
  unauthenticated: 16,
} as const;

/** Asserts a grpc-gateway error reply: status, code, a message matching `message`, no details. */
export const expectGrpcError = (
  reply: Reply,
  status: number,
  code: number,
  message?: RegExp | string,
): void => {
  const context = `${reply.status} ${JSON.stringify(reply.body)}`;
  expect(reply.status, context).toBe(status);
  expect(reply.headers.get('content-type'), context).toContain('application/json');
  const body = reply.body as GrpcErrorBody;
  expect(body, context).toEqual({ code, message: expect.any(String), details: [] });
  if (message) expect(body.message, context).toMatch(message);
};

// ---------------------------------------------------------------------------------------------
// Audio files made by ffmpeg

export { ffprobe, makeMp3, type MediaFile, type ProbedFile } from '@media-vault/test-harness';

// ---------------------------------------------------------------------------------------------
// Services as child processes

/**
 * Runs a service's entry point as its own process, as `npm start` would, and resolves once
 * `ready` says so; a process that exits or never gets ready fails with its last output.
 */
export async function startServiceProcess(opts: {
  label: string;
  entry: string;
  env: Record<string, string>;
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', opts.entry], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      HEALTH_PORT: '0',
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (buf: Buffer) => {
    lines.push(...buf.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 300) lines.splice(0, lines.length - 300);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const output = () => lines.join('\n');
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (!running()) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  for (;;) {
    if (!running()) {
      throw new Error(
        `${opts.label} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`,
      );
    }
    if (await opts.ready().catch(() => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${opts.label} did not get ready:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, output, stop };
}

export { jobsConsumed };

// ---------------------------------------------------------------------------------------------
// The stack: NATS of its own, assets service and workers as processes, gateway in-process

export interface AudioStackOptions {
  /** Start the media and ipfs workers (the merge pipeline); default true. */
  readonly workers?: boolean;
  readonly chunkSize?: number;
  /** Extra environment of the assets service (e.g. a tiny DRAFT_TTL_HOURS). */
  readonly assetsEnv?: Record<string, string>;
  /**
   * No Kubo: the ipfs-worker runs its embedded Helia node and the gateway reads downloads from
   * that node's blockstore, as on a default install.
   */
  readonly embeddedIpfs?: boolean;
  /**
   * Where every process of the stack stages chunks and merged files; default: OBJECT_STORE from
   * the test's environment, else fs (one directory they all share).
   */
  readonly staging?: StagingKind;
  /** The S3 server of `staging: 's3'`; default the run's shared one. */
  readonly s3?: S3Access;
}

export interface HttpOptions {
  readonly token?: string | undefined;
  readonly json?: unknown;
  readonly raw?: Uint8Array | string;
  readonly headers?: Record<string, string>;
}

export class AudioStack {
  private readonly tokens = new Map<string, Promise<string>>();
  private readonly staging: StagingBuckets;

  private constructor(
    readonly nats: NatsAccess,
    readonly nc: NatsConnection,
    readonly gateway: GatewayServer,
    readonly kuboApiUrl: string,
    readonly chunkSize: number,
    /** Scratch directory for media files and downloads. */
    readonly dir: string,
    readonly processes: Record<string, ServiceProcess>,
    private readonly secret: string,
    private readonly cleanup: (() => Promise<void>)[],
    stagingEnv: StagingEnv,
  ) {
    this.staging = stagingFromSettings({ ...stagingEnv, DATA_DIR: dir }, () => jetstream(nc), [
      ...Object.values(AssetBuckets),
    ]);
  }

  /**
   * Each stack has a nats-server of its own. The assets service's pipeline consumers are durable
   * and its asset ids are per database, so two stacks on one JetStream would take each other's
   * merge results and mix their event subjects; Postgres and Kubo are shared from the global
   * set-up.
   */
  static async start(opts: AudioStackOptions = {}): Promise<AudioStack> {
    const { postgresUrl, kuboApiUrl, s3 } = inject('servers');
    if (!postgresUrl || !kuboApiUrl)
      throw new Error('the global set-up must start Postgres and Kubo');
    const cleanup: (() => Promise<void>)[] = [];
    const undo = async () => {
      for (const step of cleanup.reverse()) await step().catch(() => undefined);
    };
    try {
      const chunkSize = opts.chunkSize ?? 65_536;
      const secret = `audio-${randomUUID()}`;
      const nats: StartedNats = await startNats();
      cleanup.push(() => nats.stop());
      const dir: TempDir = await makeTempDir('audio-test');
      cleanup.push(() => dir.remove());
      const nc = await connectAs(nats);
      cleanup.push(() => nc.close());
      const databaseUrl = await createDatabase(postgresUrl, uniqueName('audio'));
      const staging = await stagingEnvFor(
        opts.staging ?? stagingKindFromEnv(),
        dir.path,
        opts.s3 ?? s3,
      );

      const processes: Record<string, ServiceProcess> = {};
      const probeAs = { id: 'readiness-probe', name: 'probe', roles: [] };
      const startAssets = async () => {
        processes.assets = await startServiceProcess({
          label: 'assets service',
          entry: 'services/assets/src/main.ts',
          env: {
            ...(await natsEnv(nats, { kind: 'assets' })),
            ...principalVerifyEnv(),
            DATABASE_URL: databaseUrl,
            DATA_DIR: join(dir.path, 'assets'),
            ...staging,
            ASSET_CHUNK_SIZE: String(chunkSize),
            // As many chunks as one merge job may list.
            ASSET_MAX_SIZE: String(chunkSize * 10_000),
            ...opts.assetsEnv,
          },
          ready: async () => {
            await sendCommand(
              nc,
              S.assetFind,
              {},
              { principal: probeAs, signer: testSigner, timeoutMs: 1_000 },
            );
            return true;
          },
        });
        cleanup.push(() => processes.assets!.stop());
      };
      const startWorker = async (name: 'media-worker' | 'ipfs-worker', subject: string) => {
        processes[name] = await startServiceProcess({
          label: name,
          entry: `services/${name}/src/main.ts`,
          env: {
            ...(await natsEnv(nats, { kind: name })),
            ...(opts.embeddedIpfs ? {} : { IPFS_API_URL: kuboApiUrl }),
            ...staging,
            DATA_DIR: join(dir.path, name),
            TMP_DIR: join(dir.path, `${name}-tmp`),
          },
          ready: () => jobsConsumed(nc, subject),
        });
        cleanup.push(() => processes[name]!.stop());
      };
      // The assets service first: it creates the buckets the workers open.
      await startAssets();
      if (opts.workers ?? true) {
        await Promise.all([
          startWorker('media-worker', 'jobs.media.merge'),
          startWorker('ipfs-worker', 'jobs.ipfs.add'),
        ]);
      }

      const gateway = await buildGateway(
        await testGatewayConfig(nats, secret, {
          ...(opts.embeddedIpfs ? {} : { IPFS_API_URL: kuboApiUrl }),
          ...staging,
          // The same DATA_DIR as the ipfs-worker: downloads read its embedded node's blocks.
          DATA_DIR: join(dir.path, 'ipfs-worker'),
          ASSET_CHUNK_BODY_LIMIT: String(4 * chunkSize),
          COMMAND_TIMEOUT_MS: '15000',
        }),
      );
      cleanup.push(() => gateway.close());
      return new AudioStack(
        nats,
        nc,
        gateway,
        kuboApiUrl,
        chunkSize,
        dir.path,
        processes,
        secret,
        cleanup,
        staging,
      );
    } catch (err) {
      await undo();
      throw err;
    }
  }

  async stop(): Promise<void> {
    for (const step of this.cleanup.reverse()) await step().catch(() => undefined);
  }

  /** Last output of every child process, for failure messages. */
  logs(): string {
    return Object.entries(this.processes)
      .map(([name, p]) => `--- ${name}\n${p.output()}`)
      .join('\n');
  }

  token(sub: string, roles: number[] = []): Promise<string> {
    const key = `${sub}|${roles.join(',')}`;
    let token = this.tokens.get(key);
    if (!token) {
      token = signToken({ sub, name: sub, roles, secret: this.secret, exp: '2h' });
      this.tokens.set(key, token);
    }
    return token;
  }

  async http<T = unknown>(method: string, path: string, opts: HttpOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.token = opts.token;
    let body: string | Uint8Array | undefined;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    } else if (opts.raw !== undefined) {
      body = typeof opts.raw === 'string' ? opts.raw : new Uint8Array(opts.raw);
      headers['content-type'] ??= 'application/octet-stream';
    }
    const res = await fetch(new URL(path, this.gateway.url), { method, headers, body });
    const bytes = Buffer.from(await res.arrayBuffer());
    let parsed: unknown = bytes.toString('utf8');
    if (res.headers.get('content-type')?.includes('application/json') && bytes.length > 0) {
      parsed = JSON.parse(bytes.toString('utf8'));
    }
    return { status: res.status, headers: res.headers, body: parsed as T, bytes };
  }

  // --- the upload flow ------------------------------------------------------------------------

  create(token: string, file: { name: string; size: number | string; hash: string }) {
    return this.http<CreateReply>('POST', '/api/v1/assets/audio', { token, json: file });
  }

  /** Creates and expects a 200, returning the plan. */
  async created(token: string, name: string, file: MediaFile): Promise<CreateReply> {
    const res = await this.create(token, { name, size: file.bytes.length, hash: file.hash });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  piece(bytes: Buffer, index: number): Buffer {
    return bytes.subarray(index * this.chunkSize, (index + 1) * this.chunkSize);
  }

  chunkJson(token: string, id: string, index: number, piece: Buffer, hash?: string) {
    return this.http<ChunkReply>('POST', '/api/v1/assets/audio/chunk', {
      token,
      json: { id, index, data: piece.toString('base64'), ...(hash ? { hash } : {}) },
    });
  }

  chunkFile(token: string, id: string, index: number, piece: Buffer, hash?: string) {
    const query = new URLSearchParams({ index: String(index), ...(hash ? { hash } : {}) });
    return this.http<ChunkReply>('POST', `/api/v1/assets/audio/chunk_file/${id}?${query}`, {
      token,
      raw: piece,
    });
  }

  /** Uploads the chosen chunks (default all), alternating the JSON and the raw route. */
  async upload(
    token: string,
    id: string,
    bytes: Buffer,
    opts: { indexes?: readonly number[]; via?: 'json' | 'file' | 'alternate' } = {},
  ): Promise<ChunkReply[]> {
    const count = Math.ceil(bytes.length / this.chunkSize);
    const indexes = opts.indexes ?? [...Array(count).keys()];
    const replies: ChunkReply[] = [];
    for (const index of indexes) {
      const piece = this.piece(bytes, index);
      const via = opts.via ?? 'alternate';
      const json = via === 'json' || (via === 'alternate' && index % 2 === 0);
      const res = json
        ? await this.chunkJson(token, id, index, piece, sha256(piece))
        : await this.chunkFile(token, id, index, piece, sha256(piece));
      expect(res.status, `chunk ${index}: ${JSON.stringify(res.body)}`).toBe(200);
      replies.push(res.body);
    }
    return replies;
  }

  chunks(token: string, id: string) {
    return this.http<ChunksReply>('GET', `/api/v1/assets/audio/chunks?id=${id}`, { token });
  }

  merge(token: string, id: string, submit?: boolean) {
    return this.http<{ asset: AudioAsset }>('POST', '/api/v1/assets/audio/merge', {
      token,
      json: { id, ...(submit === undefined ? {} : { submit }) },
    });
  }

  byId(token: string, id: string) {
    return this.http<{ asset: AudioAsset }>('GET', `/api/v1/assets/audio/by_id?id=${id}`, {
      token,
    });
  }

  /** Polls by_id until the merge pipeline is done with the asset, and returns it. */
  async settled(token: string, id: string): Promise<AudioAsset> {
    return waitFor(
      `asset ${id} to leave MERGING`,
      async () => {
        const res = await this.byId(token, id);
        if (res.status !== 200) throw new Error(`by_id answered ${res.status}`);
        return res.body.asset.status === 'MERGING' ? undefined : res.body.asset;
      },
      { timeoutMs: PIPELINE_TIMEOUT_MS, intervalMs: 200 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.logs()}`);
    });
  }

  /** Create, upload every chunk, merge and wait: a merged asset (SUBMIT unless submit=false). */
  async ingest(
    token: string,
    name: string,
    file: MediaFile,
    opts: { submit?: boolean } = {},
  ): Promise<AudioAsset> {
    const plan = await this.created(token, name, file);
    expect(plan.exists).toBe(false);
    await this.upload(token, plan.id, file.bytes);
    const merging = await this.merge(token, plan.id, opts.submit);
    expect(merging.status, JSON.stringify(merging.body)).toBe(200);
    const asset = await this.settled(token, plan.id);
    expect(asset, asset.reason).toMatchObject({
      status: opts.submit === false ? 'DRAFT' : 'SUBMIT',
      merged: true,
    });
    return asset;
  }

  review(token: string, action: 'resolve' | 'disable' | 'recover', id: string) {
    return this.http<{ asset: AudioAsset }>('POST', `/api/v1/assets/audio/${action}/${id}`, {
      token,
    });
  }

  reject(token: string, id: string, reason: string) {
    return this.http<{ asset: AudioAsset }>('POST', `/api/v1/assets/audio/reject/${id}`, {
      token,
      json: { reason },
    });
  }

  download(token: string, id: string, file: 0 | 1 | 2 = 0, headers: Record<string, string> = {}) {
    return this.http<string>('GET', `/api/v1/assets/audio/download/${id}?file=${file}`, {
      token,
      headers,
    });
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

  bucket(name: string) {
    return this.staging.open(name);
  }

  /** Names of the live objects a pipeline bucket holds for an asset (chunks by default). */
  async chunkObjects(id: string, bucket: string = AssetBuckets.chunks): Promise<string[]> {
    const store = await this.bucket(bucket);
    const names: string[] = [];
    for await (const o of store.list(`${id}/`)) names.push(o.key);
    return names.sort();
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
