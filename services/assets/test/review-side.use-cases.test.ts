import { describeOnDatabases } from '@media-vault/test-harness/databases';
import {
  AssetJobSubjects,
  type AssetStatus,
  type Principal,
  type UnpinJob,
} from '@media-vault/contracts';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAssetUseCases, type AssetUseCases } from '../src/audio/asset.use-cases.js';
import { ReviewTransitions, type ReviewAction } from '../src/audio/review.rules.js';
import { audioAssets, audioReviews } from '../src/db/schema.js';
import {
  assetRow,
  ASSETS,
  fakeFiles,
  jobsOn,
  openTestDatabase,
  REVIEWER,
  ROOT,
  statusEvents,
  takeOutbox,
  Uploads,
  user,
  type TestDatabase,
} from './helpers.js';

const CHUNK = 64 * 1024;
const limits = { chunkSize: CHUNK, maxSize: 10 * CHUNK };

const ACTIONS = Object.keys(ReviewTransitions) as ReviewAction[];
const STATUSES: AssetStatus[] = [
  'DRAFT',
  'MERGING',
  'SUBMIT',
  'POST',
  'REJECT',
  'DISABLE',
  'DELETE',
];

/** SPEC §6: the one move each reviewer action makes. */
const EXPECTED: Record<ReviewAction, { from: AssetStatus[]; to: AssetStatus }> = {
  resolve: { from: ['SUBMIT'], to: 'POST' },
  reject: { from: ['SUBMIT'], to: 'REJECT' },
  disable: { from: ['POST'], to: 'DISABLE' },
  recover: { from: ['DISABLE'], to: 'POST' },
  delete: { from: ['POST', 'DISABLE'], to: 'DELETE' },
};

describeOnDatabases('asset use cases, review side, on $driver', (backend) => {
  let t: TestDatabase;
  let assets: AssetUseCases;
  let up: Uploads;
  const reviewer = user([REVIEWER], 'reviewer');

  /** A fresh asset of `owner` in `status`, reached the way users reach it. */
  const inStatus = async (owner: Principal, status: AssetStatus): Promise<bigint> => {
    if (status === 'DRAFT') return (await up.draft(owner, CHUNK)).id;
    if (status === 'MERGING') {
      const { id } = await up.draft(owner, CHUNK);
      await assets.merge.merge(owner, id, true);
      return id;
    }
    const { id } = await up.merged(owner);
    if (status === 'REJECT') await assets.review.review(reviewer, id, 'reject', 'too quiet');
    if (['POST', 'DISABLE', 'DELETE'].includes(status))
      await assets.review.review(reviewer, id, 'resolve');
    if (status === 'DISABLE') await assets.review.review(reviewer, id, 'disable');
    if (status === 'DELETE') await assets.review.review(reviewer, id, 'delete');
    return id;
  };

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

  it('the transition table is the one SPEC §6 names', () => {
    expect(ReviewTransitions).toEqual(EXPECTED);
  });

  describe.each(ACTIONS)('%s', (action) => {
    it.each(STATUSES)(`from %s`, async (from) => {
      const owner = user();
      const id = await inStatus(owner, from);
      await takeOutbox(t.db);
      const rule = EXPECTED[action];
      const act = () =>
        assets.review.review(reviewer, id, action, action === 'reject' ? 'off key' : '');

      if (from === 'DELETE') {
        await expect(act()).rejects.toMatchObject({
          kind: 'notFound',
          message: `audio asset ${id} not found`,
        });
      } else if (!rule.from.includes(from)) {
        await expect(act()).rejects.toMatchObject({
          kind: 'conflict',
          message: `asset ${id} is ${from}; ${action} needs ${rule.from.join(' or ')}`,
        });
      } else {
        const asset = await act();
        expect(asset.status).toBe(rule.to);
        if (action === 'reject') expect(asset.reason).toBe('off key');
        const events = statusEvents(await takeOutbox(t.db));
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({
          subject: `events.assets.audio.${id}`,
          previous: from,
          status: rule.to,
          record: { id: id.toString(), status: rule.to },
        });
        const audit = await t.db
          .select()
          .from(audioReviews)
          .where(eq(audioReviews.assetId, id))
          .orderBy(asc(audioReviews.id));
        expect(audit.at(-1)).toMatchObject({
          reviewerId: reviewer.id,
          fromStatus: from,
          toStatus: rule.to,
          reason: action === 'reject' ? 'off key' : '',
        });
        return;
      }
      // Refused: nothing changed and nothing was announced.
      expect((await assetRow(t.db, id))!.status).toBe(from);
      expect(await takeOutbox(t.db)).toEqual([]);
    });
  });

  it('a reject reason stays on the asset and is listed in the owner’s rejects', async () => {
    const owner = user();
    const id = await inStatus(owner, 'SUBMIT');
    await assets.review.review(reviewer, id, 'reject', 'clipping at 0:42');
    const page = await assets.listing.listOwn(owner, owner.id, 'REJECT', 0, 20);
    expect(page.total).toBe('1');
    expect(page.items[0]).toMatchObject({ id: id.toString(), reason: 'clipping at 0:42' });
  });

  it('root reviews like a reviewer', async () => {
    const id = await inStatus(user(), 'SUBMIT');
    expect((await assets.review.review(user([ROOT]), id, 'resolve')).status).toBe('POST');
  });

  describe('unpinning shared files', () => {
    it('deleting one of two assets with the same files unpins nothing; deleting the last unpins all', async () => {
      // An instant copy is always of the caller's own asset: de-duplication never crosses users.
      const owner = user();
      const source = await up.merged(owner);
      const row = (await assetRow(t.db, source.id))!;
      const copy = await assets.upload.create(owner, {
        name: 'copy.mp3',
        size: String(row.size),
        hash: source.hash,
      });
      expect(copy.exists).toBe(true);
      const copyId = BigInt(copy.asset.id);

      // The rejected original goes: the copy still needs every CID.
      await assets.review.review(reviewer, source.id, 'reject', 'duplicate');
      await takeOutbox(t.db);
      await assets.deletion.deleteOwn(owner, source.id, 'REJECT');
      let rows = await takeOutbox(t.db);
      expect(statusEvents(rows)).toMatchObject([{ previous: 'REJECT', status: 'DELETE' }]);
      expect(jobsOn(rows, AssetJobSubjects.unpin)).toEqual([]);

      // The copy is published and then deleted: nothing references the files any more.
      await assets.review.review(reviewer, copyId, 'resolve');
      await takeOutbox(t.db);
      await assets.review.review(reviewer, copyId, 'delete');
      rows = await takeOutbox(t.db);
      expect(statusEvents(rows)).toMatchObject([{ previous: 'POST', status: 'DELETE' }]);
      const unpins = jobsOn<UnpinJob>(rows, AssetJobSubjects.unpin);
      expect(unpins).toHaveLength(1);
      expect([...unpins[0]!.cids].sort()).toEqual(source.files.map((f) => f.cid).sort());
    });

    it('only CIDs no other live asset shares are unpinned', async () => {
      const a = await up.merged(user());
      const shared = a.files[0]!;
      const b = await up.merged(user(), {
        files: [shared, ...fakeFiles().slice(1)],
      });
      await assets.review.review(reviewer, b.id, 'resolve');
      await takeOutbox(t.db);
      await assets.review.review(reviewer, b.id, 'delete');
      const unpins = jobsOn<UnpinJob>(await takeOutbox(t.db), AssetJobSubjects.unpin);
      expect(unpins).toHaveLength(1);
      expect(unpins[0]!.cids).not.toContain(shared.cid);
      expect(unpins[0]!.cids).toHaveLength(2);
    });
  });

  describe('lists and visibility', () => {
    it('own lists: only your own uid, even for root; paged newest first with a total', async () => {
      const owner = user();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await inStatus(owner, 'DRAFT')).toString());
      await inStatus(owner, 'SUBMIT'); // not a draft
      const page = await assets.listing.listOwn(owner, owner.id, 'DRAFT', 0, 2);
      expect(page.total).toBe('3');
      expect(page.items.map((a) => a.id)).toEqual([ids[2], ids[1]]);
      expect(
        (await assets.listing.listOwn(owner, owner.id, 'DRAFT', 2, 2)).items.map((a) => a.id),
      ).toEqual([ids[0]]);
      for (const other of [user([ASSETS]), user([REVIEWER]), user([ROOT])]) {
        await expect(assets.listing.listOwn(other, owner.id, 'DRAFT', 0, 20)).rejects.toMatchObject(
          {
            kind: 'forbidden',
          },
        );
        await expect(
          assets.listing.listOwn(other, owner.id, 'REJECT', 0, 20),
        ).rejects.toMatchObject({
          kind: 'forbidden',
        });
      }
    });

    it('get and find: POST for everyone, own for owners, all but deleted for reviewers and root', async () => {
      const owner = user();
      const byStatus = new Map<AssetStatus, bigint>();
      for (const status of STATUSES) byStatus.set(status, await inStatus(owner, status));
      const ownerIds = new Set([...byStatus.values()].map(String));

      const callers: [string, Principal, AssetStatus[]][] = [
        ['owner', owner, ['DRAFT', 'MERGING', 'SUBMIT', 'POST', 'REJECT', 'DISABLE']],
        [
          'owner without roles',
          { ...owner, roles: [] },
          ['DRAFT', 'MERGING', 'SUBMIT', 'POST', 'REJECT', 'DISABLE'],
        ],
        ['another uploader', user([ASSETS]), ['POST']],
        ['a plain user', user([]), ['POST']],
        [
          'a reviewer',
          user([REVIEWER]),
          ['DRAFT', 'MERGING', 'SUBMIT', 'POST', 'REJECT', 'DISABLE'],
        ],
        ['root', user([ROOT]), ['DRAFT', 'MERGING', 'SUBMIT', 'POST', 'REJECT', 'DISABLE']],
      ];
      for (const [label, caller, visible] of callers) {
        for (const [status, id] of byStatus) {
          const get = assets.listing.get(caller, id);
          if (visible.includes(status))
            await expect(get, `${label} ${status}`).resolves.toBeTruthy();
          else await expect(get, `${label} ${status}`).rejects.toMatchObject({ kind: 'notFound' });
        }
        const found = await assets.listing.find(caller, { owner: owner.id }, 0, 100);
        expect(found.items.map((a) => a.status).sort(), label).toEqual([...visible].sort());
        expect(found.total, label).toBe(String(visible.length));
        expect(found.items.every((a) => ownerIds.has(a.id))).toBe(true);
      }
    });

    it('find filters by name substring (case-insensitive, wildcards literal), status and owner', async () => {
      const tag = `Tag${Date.now().toString(36)}`;
      const owner = user();
      const named = async (name: string, status: AssetStatus = 'DRAFT') => {
        const id = await inStatus(owner, status);
        // Renamed directly: the fixtures are named after their hash.
        await t.db.update(audioAssets).set({ name }).where(eq(audioAssets.id, id));
        return id.toString();
      };
      const plain = await named(`${tag} morning.mp3`);
      const percent = await named(`${tag} 100% live.mp3`, 'POST');
      const underscore = await named(`${tag} a_b.mp3`);
      const root = user([ROOT]);
      const ids = async (q: Parameters<AssetUseCases['listing']['find']>[1]) =>
        (await assets.listing.find(root, q, 0, 100)).items.map((a) => a.id).sort();

      expect(await ids({ name: tag.toLowerCase() })).toEqual([plain, percent, underscore].sort());
      expect(await ids({ name: `${tag} 100%` })).toEqual([percent]);
      expect(await ids({ name: '%', owner: owner.id })).toEqual([percent]);
      expect(await ids({ name: 'a_b', owner: owner.id })).toEqual([underscore]);
      expect(await ids({ name: tag, status: 'POST' })).toEqual([percent]);
      expect(await ids({ name: tag, owner: 'nobody-else' })).toEqual([]);
      const page = await assets.listing.find(root, { name: tag }, 1, 1);
      expect(page.total).toBe('3');
      expect(page.items).toHaveLength(1);
    });
  });
});
