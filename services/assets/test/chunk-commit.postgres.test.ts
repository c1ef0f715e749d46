import { databaseBackend } from '@media-vault/test-harness/databases';
import { sql as raw } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAssetUseCases, type AssetUseCases } from '../src/audio/asset.use-cases.js';
import { chunkObjectName } from '../src/audio/chunk-plan.rules.js';
import { commitChunkRow } from '../src/audio/chunk.repository.js';
import { schema, type AssetsDatabase } from '../src/db/index.js';
import { assetRow, chunkRows, openTestDatabase, sha256, Uploads, user } from './helpers.js';
import type { TestDatabase } from './helpers.js';

const CHUNK = 64 * 1024;
const limits = { chunkSize: CHUNK, maxSize: 10 * CHUNK };

const rowsOf = (result: unknown) => result as Array<Record<string, unknown>>;

/**
 * What only a server with other sessions shows: a chunk commit is one statement that waits for a
 * lock held elsewhere, and what it then sees and sets. PGlite has one session, so Postgres only.
 */
describe('chunk commit on Postgres, against other sessions', () => {
  let t: TestDatabase;
  let assets: AssetUseCases;
  let up: Uploads;
  /** One connection of its own, for a transaction that holds the asset while a commit waits. */
  let other: postgres.Sql;

  beforeAll(async () => {
    t = await openTestDatabase(databaseBackend('postgres'));
    assets = createAssetUseCases(t.db, limits);
    up = new Uploads(t.db, assets, limits);
    other = postgres(t.url!, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await other?.end();
    await t?.close();
  });

  /**
   * Runs `hold` in a transaction of the other session that locks the asset first, starts `waiting`
   * once the lock is held, and commits only when `waiting` is blocked on that lock.
   */
  async function whileHeld<T>(
    id: bigint,
    hold: (tx: postgres.TransactionSql) => Promise<unknown>,
    waiting: () => Promise<T>,
  ): Promise<PromiseSettledResult<T>> {
    let started!: Promise<PromiseSettledResult<T>>;
    await other.begin(async (tx) => {
      await tx`select 1 from assets.audio_assets where id = ${id.toString()} for update`;
      await hold(tx);
      started = waiting().then(
        (value) => ({ status: 'fulfilled', value }),
        (reason: unknown) => ({ status: 'rejected', reason }),
      );
      for (let i = 0; ; i++) {
        const [row] = rowsOf(
          await t.db.execute(
            raw`select count(*)::int as n from pg_stat_activity
                where datname = current_database() and wait_event_type = 'Lock'`,
          ),
        );
        if (row?.n === 1) break;
        if (i > 200) throw new Error('the chunk commit never waited for the asset');
        await new Promise((r) => setTimeout(r, 25));
      }
    });
    return started;
  }

  it('a commit that waited while the same index was stored reports that row as a duplicate', async () => {
    const p = user();
    const { id, bytes } = await up.draft(p, CHUNK + 100, []);
    const theirs = chunkObjectName(id, 0, 'theirs');
    // The row commits after the waiting statement took its snapshot: it sees the conflict on
    // insert but not the row, and must read it afresh.
    const result = await whileHeld(
      id,
      (tx) =>
        tx`insert into assets.audio_chunks (asset_id, index, object, size, hash)
           values (${id.toString()}, 0, ${theirs}, ${CHUNK}, ${'a'.repeat(64)})`,
      () => up.commit(p, id, 0, bytes),
    );
    expect(result).toMatchObject({
      status: 'fulfilled',
      value: { duplicate: true, chunk: { index: 0, object: theirs, hash: 'a'.repeat(64) } },
    });
    expect((await chunkRows(t.db, id)).map((c) => c.object)).toEqual([theirs]);
  });

  it('a commit that waited while a merge took the asset is refused and records nothing', async () => {
    const p = user();
    const { id, bytes } = await up.draft(p, CHUNK + 100, []);
    const before = (await assetRow(t.db, id))!.updatedAt;
    const result = await whileHeld(
      id,
      (tx) => tx`update assets.audio_assets set status = 'MERGING' where id = ${id.toString()}`,
      () => up.commit(p, id, 0, bytes),
    );
    expect(result).toMatchObject({
      status: 'rejected',
      reason: {
        kind: 'conflict',
        message: `asset ${id} is MERGING; chunks go only to an unmerged DRAFT`,
      },
    });
    expect(await chunkRows(t.db, id)).toEqual([]);
    expect((await assetRow(t.db, id))!.updatedAt).toEqual(before);
  });

  describe('synchronous_commit', () => {
    /** A pool of one connection that commits synchronously (the test cluster does not). */
    let single: postgres.Sql;
    let db: AssetsDatabase;
    const setting = async (on: Pick<AssetsDatabase, 'execute'>) =>
      rowsOf(await on.execute(raw`show synchronous_commit`))[0]?.synchronous_commit;

    beforeAll(() => {
      single = postgres(t.url!, {
        max: 1,
        onnotice: () => {},
        connection: { synchronous_commit: 'on' },
      });
      db = drizzle({ client: single, schema, casing: 'snake_case' }) as unknown as AssetsDatabase;
    });
    afterAll(async () => {
      await single?.end();
    });

    it('is off for the chunk commit’s own transaction only', async () => {
      const p = user();
      const { id, bytes } = await up.draft(p, 2 * CHUNK, []);
      expect(await setting(db)).toBe('on');

      // Alone, the statement is its transaction: the next one on the connection is synchronous.
      const onThisConnection = createAssetUseCases(db, limits);
      const first = await onThisConnection.upload.chunkCommit(p, {
        id,
        index: 0,
        object: chunkObjectName(id, 0, randomUUID()),
        size: CHUNK,
        hash: sha256(bytes.subarray(0, CHUNK)),
      });
      expect(first.duplicate).toBe(false);
      expect(await setting(db)).toBe('on');

      // Inside a longer transaction it lasts until that transaction ends, and no further.
      const inside = await db.transaction(async (tx) => {
        const { inserted } = await commitChunkRow(tx, {
          assetId: id,
          index: 1,
          object: chunkObjectName(id, 1, randomUUID()),
          size: CHUNK,
          hash: sha256(bytes.subarray(CHUNK)),
          userId: p.id,
          anyUser: false,
        });
        expect(inserted).toBeDefined();
        return setting(tx);
      });
      expect(inside).toBe('off');
      expect(await setting(db)).toBe('on');
    });

    it('is left alone by a refused chunk', async () => {
      const p = user();
      const { id } = await up.draft(p, CHUNK, []);
      const inside = await db.transaction(async (tx) => {
        const { accepted } = await commitChunkRow(tx, {
          assetId: id,
          index: 5,
          object: chunkObjectName(id, 5, randomUUID()),
          size: CHUNK,
          hash: 'b'.repeat(64),
          userId: p.id,
          anyUser: false,
        });
        expect(accepted).toBe(false);
        return setting(tx);
      });
      expect(inside).toBe('on');
    });
  });
});
