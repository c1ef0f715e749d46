import { describeOnDatabases } from '@media-vault/test-harness/databases';
import {
  AssetBuckets,
  AssetJobSubjects,
  type AssetFile,
  type CleanupJob,
  type MergeJob,
  type Principal,
  type UnpinJob,
} from '@media-vault/contracts';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAssetUseCases, type AssetUseCases } from '../src/audio/asset.use-cases.js';
import { chunkObjectName } from '../src/audio/chunk-plan.rules.js';
import {
  ageAsset,
  assetRow,
  ASSETS,
  chunkRows,
  fakeFiles,
  jobsOn,
  mergeFailed,
  mergeSucceeded,
  openTestDatabase,
  REVIEWER,
  ROOT,
  sha256,
  statusEvents,
  takeOutbox,
  Uploads,
  user,
  type TestDatabase,
} from './helpers.js';

const CHUNK = 64 * 1024;
const limits = { chunkSize: CHUNK, maxSize: 10 * CHUNK };

describeOnDatabases('asset use cases, upload side, on $driver', (backend) => {
  let t: TestDatabase;
  let assets: AssetUseCases;
  let up: Uploads;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    assets = createAssetUseCases(t.db, limits);
    up = new Uploads(t.db, assets, limits);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await takeOutbox(t.db);
  });

  describe('create', () => {
    it.each([
      [1, 1],
      [CHUNK, 1],
      [CHUNK + 1, 2],
      [2 * CHUNK, 2],
      [2 * CHUNK + 1, 3],
      [limits.maxSize, 10],
    ])('a %i-byte file is planned as %i chunks, in DRAFT, with one event', async (size, count) => {
      const p = user();
      const hash = sha256(randomBytes(32));
      const { asset, exists } = await assets.upload.create(p, {
        name: 'song.mp3',
        size,
        hash: hash.toUpperCase(),
      });
      expect(exists).toBe(false);
      expect(asset).toMatchObject({
        userId: p.id,
        name: 'song.mp3',
        size: String(size),
        hash, // stored lower case, so dedupe matches either spelling
        status: 'DRAFT',
        reason: '',
        chunkSize: CHUNK,
        chunkCount: count,
        merged: false,
        probe: null,
        files: [],
      });
      const events = statusEvents(await takeOutbox(t.db));
      expect(events).toEqual([
        {
          subject: `events.assets.audio.${asset.id}`,
          previous: null,
          status: 'DRAFT',
          record: asset,
        },
      ]);
    });

    it.each([
      [0, /at least 1 byte/],
      [limits.maxSize + 1, /larger than the 655360-byte limit/],
    ])('refuses a size of %i and stores nothing', async (size, message) => {
      const p = user();
      await expect(
        assets.upload.create(p, { name: 'x.mp3', size, hash: sha256(randomBytes(8)) }),
      ).rejects.toMatchObject({ kind: 'badRequest', message: expect.stringMatching(message) });
      expect((await assets.listing.find(p, { owner: p.id }, 0, 10)).total).toBe('0');
      expect(await takeOutbox(t.db)).toEqual([]);
    });

    it('copies the caller’s own SUBMIT, POST or DISABLE asset of the same hash into SUBMIT', async () => {
      const reviewer = user([REVIEWER]);
      for (const status of ['SUBMIT', 'POST', 'DISABLE'] as const) {
        const owner = user();
        const source = await up.merged(owner);
        if (status !== 'SUBMIT') await assets.review.review(reviewer, source.id, 'resolve');
        if (status === 'DISABLE') await assets.review.review(reviewer, source.id, 'disable');
        const sourceRow = (await assetRow(t.db, source.id))!;
        await takeOutbox(t.db);

        const { asset, exists } = await assets.upload.create(owner, {
          name: 'again.mp3',
          size: String(sourceRow.size),
          hash: source.hash,
        });
        expect(exists, status).toBe(true);
        expect(asset).toMatchObject({
          userId: owner.id,
          name: 'again.mp3',
          status: 'SUBMIT',
          merged: true,
          chunkCount: sourceRow.chunkCount,
          probe: sourceRow.probe,
          files: source.files,
        });
        expect(asset.id).not.toBe(source.id.toString());
        expect(statusEvents(await takeOutbox(t.db))).toMatchObject([
          { previous: null, status: 'SUBMIT' },
        ]);
        // Nothing to upload for the copy.
        expect((await assets.upload.chunks(owner, BigInt(asset.id))).chunks).toEqual([]);
        // The source itself is untouched.
        expect((await assetRow(t.db, source.id))!.status).toBe(status);
      }
    });

    it('gives another user, root included, a plain chunk plan for a hash someone else holds', async () => {
      const reviewer = user([REVIEWER]);
      for (const status of ['SUBMIT', 'POST', 'DISABLE'] as const) {
        const source = await up.merged(user());
        if (status !== 'SUBMIT') await assets.review.review(reviewer, source.id, 'resolve');
        if (status === 'DISABLE') await assets.review.review(reviewer, source.id, 'disable');
        const size = CHUNK + 10;
        for (const other of [user(), user([ROOT])]) {
          await takeOutbox(t.db);
          const claim = await assets.upload.create(other, {
            name: 'mine.mp3',
            size,
            hash: source.hash,
          });
          // The same reply as for a hash nobody has: nothing tells the caller the file exists.
          const fresh = await assets.upload.create(other, {
            name: 'mine.mp3',
            size,
            hash: sha256(randomBytes(32)),
          });
          const shape = (r: typeof claim) => ({
            ...r,
            asset: { ...r.asset, id: '', hash: '', createdAt: '', updatedAt: '' },
          });
          expect(shape(claim), status).toEqual(shape(fresh));
          expect(claim).toMatchObject({
            exists: false,
            asset: { status: 'DRAFT', merged: false, probe: null, files: [] },
          });
          // A wrong size is not refused either: that would say an asset of another size exists.
          const wrongSize = await assets.upload.create(other, {
            name: 'x.mp3',
            size: size + 1,
            hash: source.hash,
          });
          expect(wrongSize.exists).toBe(false);
        }
      }
    });

    it('does not copy a DRAFT, REJECT or deleted asset: the new one is a DRAFT to upload', async () => {
      const reviewer = user([REVIEWER]);
      const owner = user();
      const draft = await up.draft(owner, CHUNK + 5);
      const rejected = await up.merged(owner);
      await assets.review.review(reviewer, rejected.id, 'reject', 'noise');
      const deleted = await up.merged(owner);
      await assets.review.review(reviewer, deleted.id, 'resolve');
      await assets.review.review(reviewer, deleted.id, 'delete');
      for (const [label, hash, size] of [
        ['draft', draft.hash, CHUNK + 5],
        ['reject', rejected.hash, CHUNK + 10],
        ['delete', deleted.hash, CHUNK + 10],
      ] as const) {
        const { asset, exists } = await assets.upload.create(owner, { name: 'n.mp3', size, hash });
        expect(exists, label).toBe(false);
        expect(asset.status, label).toBe('DRAFT');
        expect(asset.merged, label).toBe(false);
      }
    });

    it('refuses a copy whose size differs from the caller’s own asset with that hash', async () => {
      const p = user();
      const source = await up.merged(p);
      const before = (await assets.listing.find(p, { owner: p.id }, 0, 10)).total;
      await takeOutbox(t.db);
      await expect(
        assets.upload.create(p, { name: 'n.mp3', size: CHUNK + 11, hash: source.hash }),
      ).rejects.toMatchObject({
        kind: 'badRequest',
        message: `size: your asset with this hash has ${CHUNK + 10} bytes, not ${CHUNK + 11}`,
      });
      expect((await assets.listing.find(p, { owner: p.id }, 0, 10)).total).toBe(before);
      expect(await takeOutbox(t.db)).toEqual([]);
    });
  });

  describe('chunks', () => {
    it('commit records a verified chunk once; a second commit of the index is a duplicate', async () => {
      const p = user();
      const { id, bytes } = await up.draft(p, CHUNK + 100, []);
      const before = (await assetRow(t.db, id))!.updatedAt;
      const first = await up.commit(p, id, 1, bytes);
      expect(first.duplicate).toBe(false);
      expect(first.chunk).toMatchObject({
        index: 1,
        size: 100,
        hash: sha256(bytes.subarray(CHUNK)),
      });
      expect((await assetRow(t.db, id))!.updatedAt.getTime()).toBeGreaterThanOrEqual(
        before.getTime(),
      );
      const second = await assets.upload.chunkCommit(p, {
        id,
        index: 1,
        object: chunkObjectName(id, 1, 'second-attempt'),
        size: 100,
        hash: sha256(randomBytes(100)),
      });
      // The stored chunk wins; the caller deletes its surplus object.
      expect(second).toEqual({ chunk: first.chunk, duplicate: true });
      expect(await chunkRows(t.db, id)).toHaveLength(1);
      // Chunk writes are not status changes: no events.
      expect(statusEvents(await takeOutbox(t.db)).filter((e) => e.previous !== null)).toEqual([]);
    });

    it.each([
      ['a short chunk', { index: 0, size: CHUNK - 1 }, /chunk 0 has 65535 bytes; expected 65536/],
      ['a long last chunk', { index: 1, size: 101 }, /chunk 1 is larger than its 100 bytes/],
      ['an index past the plan', { index: 2, size: 100 }, /index: 2 is out of range/],
    ])('commit refuses %s and changes nothing', async (_label, c, message) => {
      const p = user();
      const { id } = await up.draft(p, CHUNK + 100, []);
      const before = (await assetRow(t.db, id))!.updatedAt;
      await expect(
        assets.upload.chunkCommit(p, {
          id,
          ...c,
          object: `${id}/${c.index}/x`,
          hash: sha256(randomBytes(4)),
        }),
      ).rejects.toMatchObject({ kind: 'badRequest', message: expect.stringMatching(message) });
      expect(await chunkRows(t.db, id)).toEqual([]);
      // Not even the mark that keeps a draft alive: a refused chunk is no upload activity.
      expect((await assetRow(t.db, id))!.updatedAt).toEqual(before);
    });

    it('commit refuses an object name that belongs to another chunk or asset', async () => {
      const p = user();
      const { id } = await up.draft(p, CHUNK + 100, []);
      for (const object of [`${id}/1/x`, `${id + 1n}/0/x`, 'elsewhere']) {
        await expect(
          assets.upload.chunkCommit(p, {
            id,
            index: 0,
            object,
            size: CHUNK,
            hash: sha256(randomBytes(4)),
          }),
        ).rejects.toMatchObject({
          kind: 'badRequest',
          message: 'object: does not belong to this chunk',
        });
      }
      expect(await chunkRows(t.db, id)).toEqual([]);
    });

    it("another user's draft is not found; root may upload to it", async () => {
      const owner = user();
      const { id, bytes } = await up.draft(owner, CHUNK + 100, [0]);
      for (const intruder of [user([ASSETS]), user([REVIEWER])]) {
        await expect(assets.upload.chunks(intruder, id)).rejects.toMatchObject({
          kind: 'notFound',
        });
        await expect(
          assets.upload.chunkCommit(intruder, {
            id,
            index: 1,
            object: `${id}/1/x`,
            size: 100,
            hash: sha256(bytes.subarray(CHUNK)),
          }),
        ).rejects.toMatchObject({ kind: 'notFound', message: `audio asset ${id} not found` });
      }
      const untouched = (await assetRow(t.db, id))!.updatedAt;
      await expect(assets.upload.chunks(owner, 999_999_999n)).rejects.toMatchObject({
        kind: 'notFound',
      });
      expect((await assetRow(t.db, id))!.updatedAt).toEqual(untouched);
      const root = user([ROOT]);
      expect((await up.commit(root, id, 1, bytes)).duplicate).toBe(false);
      expect((await assets.upload.chunks(owner, id)).chunks.map((c) => c.index)).toEqual([0, 1]);
    });

    it('chunks go only to an unmerged DRAFT', async () => {
      const p = user();
      const { id, bytes } = await up.draft(p, CHUNK + 100);
      await assets.merge.merge(p, id, true);
      await expect(up.commit(p, id, 0, bytes)).rejects.toMatchObject({
        kind: 'conflict',
        message: `asset ${id} is MERGING; chunks go only to an unmerged DRAFT`,
      });
      const merged = await up.merged(p, { submit: false });
      await expect(up.commit(p, merged.id, 0, bytes)).rejects.toMatchObject({
        kind: 'conflict',
        message: `asset ${merged.id} is a merged DRAFT; chunks go only to an unmerged DRAFT`,
      });
    });
  });

  describe('merge', () => {
    it('refuses while chunks are missing, naming them, and changes nothing', async () => {
      const p = user();
      const { id } = await up.draft(p, 4 * CHUNK, [0, 2]);
      await takeOutbox(t.db);
      await expect(assets.merge.merge(p, id, true)).rejects.toMatchObject({
        kind: 'badRequest',
        message: `asset ${id} is missing chunks 1, 3`,
      });
      expect((await assetRow(t.db, id))!.status).toBe('DRAFT');
      expect(await takeOutbox(t.db)).toEqual([]);
    });

    it('goes to MERGING with one event and one merge job naming every chunk in order', async () => {
      const p = user();
      const { id, hash } = await up.draft(p, 2 * CHUNK + 7);
      const chunks = await chunkRows(t.db, id);
      await takeOutbox(t.db);
      const asset = await assets.merge.merge(p, id, true);
      expect(asset.status).toBe('MERGING');
      const rows = await takeOutbox(t.db);
      expect(statusEvents(rows)).toMatchObject([{ previous: 'DRAFT', status: 'MERGING' }]);
      const jobs = jobsOn<MergeJob & { id: string }>(rows, AssetJobSubjects.merge);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toEqual({
        id: (await assetRow(t.db, id))!.mergeJobId,
        assetId: id.toString(),
        hash,
        size: 2 * CHUNK + 7,
        bucket: AssetBuckets.chunks,
        chunks: chunks.map((c) => ({ index: c.index, object: c.object, size: c.size })),
      });
      // A second call while merging is answered with the asset and enqueues nothing.
      expect((await assets.merge.merge(p, id, true)).status).toBe('MERGING');
      expect(await takeOutbox(t.db)).toEqual([]);
    });

    it('five merges at once enqueue one job and one event', async () => {
      const p = user();
      const { id } = await up.draft(p, 3 * CHUNK);
      await takeOutbox(t.db);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => assets.merge.merge(p, id, true)),
      );
      expect(results.map((a) => a.status)).toEqual(Array(5).fill('MERGING'));
      const rows = await takeOutbox(t.db);
      expect(jobsOn(rows, AssetJobSubjects.merge)).toHaveLength(1);
      expect(statusEvents(rows)).toMatchObject([{ previous: 'DRAFT', status: 'MERGING' }]);
    });

    it("another user's draft is not found; root may merge it", async () => {
      const owner = user();
      const { id } = await up.draft(owner, CHUNK);
      await expect(assets.merge.merge(user([ASSETS]), id, true)).rejects.toMatchObject({
        kind: 'notFound',
      });
      expect((await assets.merge.merge(user([ROOT]), id, true)).status).toBe('MERGING');
    });

    it('a successful result makes it SUBMIT with probe and files, and frees the chunks', async () => {
      const p = user();
      const { id } = await up.draft(p, 2 * CHUNK + 1);
      const objects = (await chunkRows(t.db, id)).map((c) => c.object);
      await assets.merge.merge(p, id, true);
      const jobId = (await assetRow(t.db, id))!.mergeJobId!;
      await takeOutbox(t.db);
      const result = mergeSucceeded(id.toString(), jobId);
      expect(await assets.merge.applyMergeResult(result)).toBe(true);

      const row = (await assetRow(t.db, id))!;
      expect(row).toMatchObject({
        status: 'SUBMIT',
        merged: true,
        reason: '',
        mergeJobId: null,
        probe: result.ok ? result.probe : null,
        files: result.ok ? result.files : [],
      });
      expect(await chunkRows(t.db, id)).toEqual([]);
      const rows = await takeOutbox(t.db);
      expect(statusEvents(rows)).toMatchObject([
        { previous: 'MERGING', status: 'SUBMIT', record: { id: id.toString(), status: 'SUBMIT' } },
      ]);
      const cleanup = jobsOn<CleanupJob>(rows, AssetJobSubjects.cleanup);
      expect(cleanup).toHaveLength(1);
      expect(cleanup[0]!.bucket).toBe(AssetBuckets.chunks);
      expect([...cleanup[0]!.objects].sort()).toEqual([...objects].sort());

      // The same result redelivered, or a result for another merge, changes nothing.
      expect(await assets.merge.applyMergeResult(result)).toBe(false);
      expect(await assets.merge.applyMergeResult(mergeSucceeded(id.toString(), 'stale'))).toBe(
        false,
      );
      expect(await assets.merge.applyMergeResult(mergeSucceeded('999999999', jobId))).toBe(false);
      expect(await takeOutbox(t.db)).toEqual([]);
    });

    it('a stale result for an earlier merge is ignored once a new merge runs', async () => {
      const p = user();
      const { id, bytes } = await up.draft(p, CHUNK);
      await assets.merge.merge(p, id, true);
      const firstJob = (await assetRow(t.db, id))!.mergeJobId!;
      await assets.merge.applyMergeResult(mergeFailed(id.toString(), firstJob, 'not an mp3 file'));
      await up.commit(p, id, 0, bytes);
      await assets.merge.merge(p, id, true);
      const secondJob = (await assetRow(t.db, id))!.mergeJobId!;
      expect(secondJob).not.toBe(firstJob);
      expect(await assets.merge.applyMergeResult(mergeSucceeded(id.toString(), firstJob))).toBe(
        false,
      );
      expect((await assetRow(t.db, id))!.status).toBe('MERGING');
      expect(await assets.merge.applyMergeResult(mergeSucceeded(id.toString(), secondJob))).toBe(
        true,
      );
      expect((await assetRow(t.db, id))!.status).toBe('SUBMIT');
    });

    it('a failed merge goes back to DRAFT with the reason and frees the chunks', async () => {
      const p = user();
      const { id, bytes } = await up.draft(p, CHUNK + 3);
      const objects = (await chunkRows(t.db, id)).map((c) => c.object);
      await assets.merge.merge(p, id, true);
      const jobId = (await assetRow(t.db, id))!.mergeJobId!;
      await takeOutbox(t.db);
      expect(
        await assets.merge.applyMergeResult(
          mergeFailed(id.toString(), jobId, 'not an mp3 file (wav)'),
        ),
      ).toBe(true);
      const row = (await assetRow(t.db, id))!;
      expect(row).toMatchObject({
        status: 'DRAFT',
        merged: false,
        mergeJobId: null,
        reason: 'merge failed: not an mp3 file (wav); upload the chunks again',
      });
      expect((await assets.upload.chunks(p, id)).chunks).toEqual([]);
      const rows = await takeOutbox(t.db);
      expect(statusEvents(rows)).toMatchObject([
        { previous: 'MERGING', status: 'DRAFT', record: { reason: row.reason } },
      ]);
      expect(jobsOn<CleanupJob>(rows, AssetJobSubjects.cleanup)[0]?.objects.sort()).toEqual(
        [...objects].sort(),
      );
      // Upload again and the next merge clears the reason.
      await up.commit(p, id, 0, bytes);
      await up.commit(p, id, 1, bytes);
      const merging = await assets.merge.merge(p, id, true);
      expect(merging).toMatchObject({ status: 'MERGING', reason: '' });
    });

    it('merge with submit=false keeps a merged DRAFT until Submit', async () => {
      const p = user();
      const { id } = await up.merged(p, { submit: false });
      expect((await assetRow(t.db, id))!).toMatchObject({ status: 'DRAFT', merged: true });
      await expect(assets.merge.merge(p, id, true)).rejects.toMatchObject({
        kind: 'conflict',
        message: `asset ${id} is already merged; submit it instead`,
      });
      await takeOutbox(t.db);
      await expect(assets.merge.submit(user([ASSETS]), id)).rejects.toMatchObject({
        kind: 'notFound',
      });
      expect((await assets.merge.submit(p, id)).status).toBe('SUBMIT');
      expect(statusEvents(await takeOutbox(t.db))).toMatchObject([
        { previous: 'DRAFT', status: 'SUBMIT' },
      ]);
      await expect(assets.merge.submit(p, id)).rejects.toMatchObject({
        kind: 'conflict',
        message: `asset ${id} is SUBMIT; only a merged DRAFT can be submitted`,
      });
      await expect(assets.merge.merge(p, id, true)).rejects.toMatchObject({
        kind: 'conflict',
        message: `asset ${id} is SUBMIT; only a DRAFT can be merged`,
      });
    });

    describe('sharing renditions after a verified upload', () => {
      /** `p` uploads `bytes` as a new asset, and the merge pipeline reports `files` for it. */
      const uploadAndMerge = async (p: Principal, bytes: Buffer, files: AssetFile[]) => {
        const { asset, exists } = await assets.upload.create(p, {
          name: 'same.mp3',
          size: bytes.length,
          hash: sha256(bytes),
        });
        expect(exists).toBe(false);
        const id = BigInt(asset.id);
        for (let index = 0; index < asset.chunkCount; index++) {
          await up.commit(p, id, index, bytes);
        }
        await assets.merge.merge(p, id, true);
        const jobId = (await assetRow(t.db, id))!.mergeJobId!;
        await takeOutbox(t.db);
        expect(await assets.merge.applyMergeResult(mergeSucceeded(asset.id, jobId, files))).toBe(
          true,
        );
        return { id, rows: await takeOutbox(t.db) };
      };

      it('takes the renditions of another user’s identical original and unpins its own', async () => {
        const bytes = randomBytes(CHUNK + 10);
        const theirs = fakeFiles();
        await uploadAndMerge(user(), bytes, theirs);
        const mine = fakeFiles();
        const { id, rows } = await uploadAndMerge(user(), bytes, [theirs[0]!, mine[1]!, mine[2]!]);
        expect((await assetRow(t.db, id))!.files).toEqual(theirs);
        expect(statusEvents(rows)).toMatchObject([{ status: 'SUBMIT', record: { files: theirs } }]);
        const unpins = jobsOn<UnpinJob>(rows, AssetJobSubjects.unpin);
        expect(unpins.map((u) => [...u.cids].sort())).toEqual([
          [mine[1]!.cid, mine[2]!.cid].sort(),
        ]);
      });

      it('keeps its own files when the original differs, and unpins nothing already shared', async () => {
        const bytes = randomBytes(CHUNK + 10);
        const theirs = fakeFiles();
        await uploadAndMerge(user(), bytes, theirs);
        // Another CID for file 0 (say a different IPFS chunker): not provably the same file.
        const other = fakeFiles();
        const first = await uploadAndMerge(user(), bytes, other);
        expect((await assetRow(t.db, first.id))!.files).toEqual(other);
        expect(jobsOn(first.rows, AssetJobSubjects.unpin)).toEqual([]);
        // Renditions that came out identical: nothing to take, nothing to unpin.
        const same = await uploadAndMerge(user(), bytes, theirs);
        expect((await assetRow(t.db, same.id))!.files).toEqual(theirs);
        expect(jobsOn(same.rows, AssetJobSubjects.unpin)).toEqual([]);
      });
    });

    it('submit refuses an unmerged draft', async () => {
      const p = user();
      const { id } = await up.draft(p, CHUNK);
      await expect(assets.merge.submit(p, id)).rejects.toMatchObject({
        kind: 'conflict',
        message: `asset ${id} is DRAFT and not merged; only a merged DRAFT can be submitted`,
      });
    });
  });

  describe('delete own draft', () => {
    it('removes the draft, frees its chunks and emits DRAFT → DELETE', async () => {
      const p = user();
      const { id } = await up.draft(p, 2 * CHUNK, [1]);
      const objects = (await chunkRows(t.db, id)).map((c) => c.object);
      await takeOutbox(t.db);
      await assets.deletion.deleteOwn(p, id, 'DRAFT');
      expect((await assetRow(t.db, id))!.status).toBe('DELETE');
      expect(await chunkRows(t.db, id)).toEqual([]);
      const rows = await takeOutbox(t.db);
      expect(statusEvents(rows)).toMatchObject([{ previous: 'DRAFT', status: 'DELETE' }]);
      expect(jobsOn<CleanupJob>(rows, AssetJobSubjects.cleanup)).toMatchObject([
        { bucket: AssetBuckets.chunks, objects },
      ]);
      expect(jobsOn(rows, AssetJobSubjects.unpin)).toEqual([]);
      // Gone: every later call is "not found".
      await expect(assets.deletion.deleteOwn(p, id, 'DRAFT')).rejects.toMatchObject({
        kind: 'notFound',
      });
      await expect(assets.upload.chunks(p, id)).rejects.toMatchObject({ kind: 'notFound' });
      await expect(assets.listing.get(p, id)).rejects.toMatchObject({ kind: 'notFound' });
    });

    it('only the owner may, not even root; and only a DRAFT', async () => {
      const p = user();
      const { id } = await up.draft(p, CHUNK);
      for (const other of [user([ASSETS]), user([ROOT]), user([REVIEWER])]) {
        await expect(assets.deletion.deleteOwn(other, id, 'DRAFT')).rejects.toMatchObject({
          kind: 'notFound',
        });
      }
      await assets.merge.merge(p, id, true);
      await expect(assets.deletion.deleteOwn(p, id, 'DRAFT')).rejects.toMatchObject({
        kind: 'conflict',
        message: `asset ${id} is MERGING, not DRAFT`,
      });
      const submitted = await up.merged(p);
      await expect(assets.deletion.deleteOwn(p, submitted.id, 'DRAFT')).rejects.toMatchObject({
        kind: 'conflict',
        message: `asset ${submitted.id} is SUBMIT, not DRAFT`,
      });
      await expect(assets.deletion.deleteOwn(p, submitted.id, 'REJECT')).rejects.toMatchObject({
        kind: 'conflict',
      });
    });
  });

  describe('abandoned draft expiry', () => {
    const HOUR = 3_600_000;

    it('deletes unmerged drafts untouched for the TTL and frees their chunks; nothing else', async () => {
      const p = user();
      const stale = await up.draft(p, 2 * CHUNK, [0]);
      const staleObjects = (await chunkRows(t.db, stale.id)).map((c) => c.object);
      const fresh = await up.draft(p, CHUNK, []);
      const mergedDraft = await up.merged(p, { submit: false });
      const submitted = await up.merged(p);
      const merging = await up.draft(p, CHUNK);
      await assets.merge.merge(p, merging.id, true);
      for (const id of [stale.id, mergedDraft.id, submitted.id, merging.id]) {
        await ageAsset(t.db, id, 2 * HOUR);
      }
      await takeOutbox(t.db);

      expect(await assets.expiry.expireDrafts(HOUR)).toBe(1);
      expect((await assetRow(t.db, stale.id))!.status).toBe('DELETE');
      expect(await chunkRows(t.db, stale.id)).toEqual([]);
      expect((await assetRow(t.db, fresh.id))!.status).toBe('DRAFT');
      expect((await assetRow(t.db, mergedDraft.id))!.status).toBe('DRAFT');
      expect((await assetRow(t.db, submitted.id))!.status).toBe('SUBMIT');
      expect((await assetRow(t.db, merging.id))!.status).toBe('MERGING');
      const rows = await takeOutbox(t.db);
      expect(statusEvents(rows)).toMatchObject([
        { subject: `events.assets.audio.${stale.id}`, previous: 'DRAFT', status: 'DELETE' },
      ]);
      expect(jobsOn<CleanupJob>(rows, AssetJobSubjects.cleanup)).toMatchObject([
        { objects: staleObjects },
      ]);
      // A second sweep finds nothing more.
      expect(await assets.expiry.expireDrafts(HOUR)).toBe(0);
    });

    it('a chunk upload keeps a draft alive', async () => {
      const p = user();
      const { id, bytes } = await up.draft(p, 2 * CHUNK, [0]);
      await ageAsset(t.db, id, 2 * HOUR);
      await up.commit(p, id, 1, bytes);
      await assets.expiry.expireDrafts(HOUR);
      expect((await assetRow(t.db, id))!.status).toBe('DRAFT');
    });
  });
});
