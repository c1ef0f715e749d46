import type { AssetFile, AudioProbe, MergedJob, Principal } from '@media-vault/contracts';
import { createLogger, openDatabase, type OpenDatabase } from '@media-vault/service-kit';
import type { DatabaseBackend } from '@media-vault/test-harness/databases';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { AssetUseCases } from '../src/audio/asset.use-cases.js';
import { chunkObjectName } from '../src/audio/chunk-plan.rules.js';
import type { AssetLimits } from '../src/audio/upload.use-case.js';
import { schema, type AssetsDatabase } from '../src/db/index.js';
import { audioAssets, audioChunks, outbox } from '../src/db/schema.js';

const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

export const sha256 = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

export interface TestDatabase {
  readonly db: AssetsDatabase;
  /** The database's URL on Postgres; undefined on PGlite. */
  readonly url: string | undefined;
  close(): Promise<void>;
}

/** A migrated assets database of its own on `backend`; `close` also removes it. */
export const openTestDatabase = async (backend: DatabaseBackend): Promise<TestDatabase> => {
  const place = await backend.create('assets_repo');
  const opened: OpenDatabase<typeof schema> = await openDatabase({
    schema,
    url: place.url,
    pgliteDir: place.dir,
    migrationsFolder,
    log: createLogger('assets-test', 'silent'),
  });
  return {
    db: opened.db,
    url: place.url,
    close: async () => {
      await opened.close();
      await place.remove();
    },
  };
};

let users = 0;
/** A principal with a unique id, so tests never see each other's assets by accident. */
export const user = (roles: number[] = [100], label = 'user'): Principal => {
  const id = `${label}-${Date.now().toString(36)}-${++users}`;
  return { id, name: id, roles };
};

export const ROOT = 1;
export const ASSETS = 100;
export const REVIEWER = 120;

export interface OutboxRow {
  readonly subject: string;
  readonly payload: Record<string, unknown> & { id: string };
}

/**
 * Takes every row the outbox holds, oldest first, and removes them, as the relay would: each test
 * then sees exactly the events and jobs its own calls wrote.
 */
export const takeOutbox = async (db: AssetsDatabase): Promise<OutboxRow[]> => {
  const rows = await db.select().from(outbox).orderBy(asc(outbox.id));
  if (rows.length > 0) {
    await db.delete(outbox).where(
      inArray(
        outbox.id,
        rows.map((r) => r.id),
      ),
    );
  }
  return rows.map((r) => ({ subject: r.subject, payload: r.payload as OutboxRow['payload'] }));
};

export const statusEvents = (rows: readonly OutboxRow[]) =>
  rows
    .filter((r) => r.subject.startsWith('events.assets.audio.'))
    .map((r) => ({
      subject: r.subject,
      previous: r.payload.previous_status as string | null,
      status: r.payload.status as string,
      record: r.payload.record as { id: string; status: string; reason: string },
    }));

export const jobsOn = <T = Record<string, unknown>>(rows: readonly OutboxRow[], subject: string) =>
  rows.filter((r) => r.subject === subject).map((r) => r.payload as unknown as T);

export const chunkRows = (db: AssetsDatabase, id: bigint) =>
  db.select().from(audioChunks).where(eq(audioChunks.assetId, id)).orderBy(asc(audioChunks.index));

export const assetRow = async (db: AssetsDatabase, id: bigint) => {
  const [row] = await db.select().from(audioAssets).where(eq(audioAssets.id, id));
  return row;
};

/** Moves an asset's last change into the past, as if nobody had touched it for `ms`. */
export const ageAsset = (db: AssetsDatabase, id: bigint, ms: number) =>
  db
    .update(audioAssets)
    .set({ updatedAt: sql`now() - make_interval(secs => ${ms / 1000})` })
    .where(eq(audioAssets.id, id));

export const probe: AudioProbe = {
  formatName: 'mp3',
  codec: 'mp3',
  durationMs: 5_000,
  bitrate: 192_000,
  sampleRate: 48_000,
  channels: 2,
};

/** Three files with CIDs unique to this call, as the ipfs worker would report them. */
export const fakeFiles = (): AssetFile[] => {
  const cid = () => `bafk${randomBytes(16).toString('hex')}`;
  return [
    { file: 0, cid: cid(), size: '300000', bitrate: 192_000, sampleRate: 48_000 },
    { file: 1, cid: cid(), size: '400000', bitrate: 320_000, sampleRate: 48_000 },
    { file: 2, cid: cid(), size: '160000', bitrate: 128_000, sampleRate: 44_100 },
  ];
};

export const mergeSucceeded = (
  assetId: string,
  jobId: string,
  files: AssetFile[] = fakeFiles(),
): MergedJob => ({ id: jobId, assetId, ok: true, probe, files });

export const mergeFailed = (assetId: string, jobId: string, reason: string): MergedJob => ({
  id: jobId,
  assetId,
  ok: false,
  reason,
});

/** Drives the upload side of the state machine: bytes of `size` split into the plan's chunks. */
export class Uploads {
  constructor(
    readonly db: AssetsDatabase,
    readonly assets: AssetUseCases,
    readonly limits: AssetLimits,
  ) {}

  /** A DRAFT of `size` random bytes with every chunk committed (or only those in `only`). */
  async draft(
    p: Principal,
    size: number,
    only?: readonly number[],
  ): Promise<{ id: bigint; hash: string; bytes: Buffer }> {
    const bytes = randomBytes(size);
    const hash = sha256(bytes);
    const { asset } = await this.assets.upload.create(p, {
      name: `draft-${hash.slice(0, 8)}.mp3`,
      size,
      hash,
    });
    const id = BigInt(asset.id);
    for (let index = 0; index < asset.chunkCount; index++) {
      if (only && !only.includes(index)) continue;
      await this.commit(p, id, index, bytes);
    }
    return { id, hash, bytes };
  }

  async commit(p: Principal, id: bigint, index: number, bytes: Buffer) {
    const piece = bytes.subarray(
      index * this.limits.chunkSize,
      (index + 1) * this.limits.chunkSize,
    );
    return this.assets.upload.chunkCommit(p, {
      id,
      index,
      object: chunkObjectName(id, index, randomUUID()),
      size: piece.length,
      hash: sha256(piece),
    });
  }

  /** A DRAFT taken through merge and a successful merge result: SUBMIT (or merged DRAFT). */
  async merged(
    p: Principal,
    opts: { submit?: boolean; files?: AssetFile[]; size?: number } = {},
  ): Promise<{ id: bigint; hash: string; files: AssetFile[] }> {
    const { id, hash } = await this.draft(p, opts.size ?? this.limits.chunkSize + 10);
    await this.assets.merge.merge(p, id, opts.submit ?? true);
    const row = await assetRow(this.db, id);
    const files = opts.files ?? fakeFiles();
    await this.assets.merge.applyMergeResult(
      mergeSucceeded(id.toString(), row!.mergeJobId!, files),
    );
    return { id, hash, files };
  }
}
