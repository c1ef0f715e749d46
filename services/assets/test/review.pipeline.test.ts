import { AudioAssetCommandSubjects as S, type AssetStatus } from '@media-vault/contracts';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ASSETS,
  makeMp3,
  person,
  PipelineStack,
  refusal,
  REVIEWER,
  sha256,
  waitFor,
  type MediaFile,
} from './pipeline-stack.js';

/**
 * Review transitions, their events and reasons, and the own deletes that free storage, with the
 * merge pipeline behind the service. The commands are those the gateway sends; it maps their
 * error kinds to HTTP statuses one to one (badRequest 400, notFound 404, conflict 409).
 */

type Action = 'resolve' | 'reject' | 'disable' | 'recover' | 'delete';
const ACTIONS: Action[] = ['resolve', 'reject', 'disable', 'recover', 'delete'];
type Start = Exclude<AssetStatus, 'MERGING'>;
const STARTS: Start[] = ['DRAFT', 'SUBMIT', 'POST', 'REJECT', 'DISABLE', 'DELETE'];

/** SPEC §6: where each reviewer action may start and where it leads. */
const RULES: Record<Action, { from: Start[]; to: AssetStatus }> = {
  resolve: { from: ['SUBMIT'], to: 'POST' },
  reject: { from: ['SUBMIT'], to: 'REJECT' },
  disable: { from: ['POST'], to: 'DISABLE' },
  recover: { from: ['DISABLE'], to: 'POST' },
  delete: { from: ['POST', 'DISABLE'], to: 'DELETE' },
};

describe('audio asset review with the pipeline: transitions, events, reasons, deletes', () => {
  let stack: PipelineStack;
  let source: MediaFile;
  const owner = person('owner', [ASSETS]);
  const reviewer = person('reviewer', [REVIEWER]);

  const act = (action: Action, id: string, p = reviewer) => {
    switch (action) {
      case 'resolve':
        return stack.command(p, S.assetResolve, { id });
      case 'reject':
        return stack.command(p, S.assetReject, { id, reason: 'the reviewer’s reason' });
      case 'disable':
        return stack.command(p, S.assetDisable, { id });
      case 'recover':
        return stack.command(p, S.assetRecover, { id });
      case 'delete':
        return stack.command(p, S.assetDelete, { id });
    }
  };

  /** An asset of the owner's in `status`; merged ones are copies of the owner's `source` (dedupe). */
  const inStatus = async (status: Start): Promise<string> => {
    if (status === 'DRAFT') {
      return (await stack.create(owner, { name: 'd.mp3', size: 10, hash: sha256(randomBytes(8)) }))
        .id;
    }
    const copy = await stack.create(owner, {
      name: 'c.mp3',
      size: source.bytes.length,
      hash: source.hash,
    });
    const id = copy.id;
    if (status === 'REJECT') await act('reject', id);
    if (status === 'POST' || status === 'DISABLE' || status === 'DELETE') await act('resolve', id);
    if (status === 'DISABLE') await act('disable', id);
    if (status === 'DELETE') await act('delete', id);
    return id;
  };

  /**
   * Waits until a fresh sentinel asset's first event is in EVENTS. The relay publishes outbox
   * rows in commit order, so every event of an earlier call is then in the stream too: "exactly
   * one event" is checked without waiting an arbitrary time.
   */
  const flushEvents = async () => {
    const sentinel = await inStatus('DRAFT');
    await stack.eventsUntil(sentinel, 1);
  };

  beforeAll(async () => {
    stack = await PipelineStack.start();
    source = await makeMp3(stack.dir, { seconds: 3 });
    // The owner's own upload: instant copies are only ever of the caller's own bytes.
    await stack.ingest(owner, 'seed.mp3', source);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe.each(ACTIONS)('%s', (action) => {
    it.each(STARTS)('from %s', async (from) => {
      const id = await inStatus(from);
      await flushEvents();
      const before = await stack.events(id);
      const rule = RULES[action];

      const allowed = rule.from.includes(from);
      if (from === 'DELETE') {
        const refused = await refusal(act(action, id));
        expect(refused.kind).toBe('notFound');
        expect(refused.message).toMatch(`audio asset ${id} not found`);
      } else if (!allowed) {
        const refused = await refusal(act(action, id));
        expect(refused.kind).toBe('conflict');
        expect(refused.message).toMatch(
          `asset ${id} is ${from}; ${action} needs ${rule.from.join(' or ')}`,
        );
      } else {
        expect(await act(action, id)).toMatchObject({ asset: { id, status: rule.to } });
      }

      await flushEvents();
      const after = await stack.events(id);
      if (!allowed) {
        expect(after).toEqual(before);
        if (from !== 'DELETE') expect((await stack.get(reviewer, id)).status).toBe(from);
        return;
      }
      expect(after).toHaveLength(before.length + 1);
      expect(after.at(-1)).toMatchObject({
        previous_status: from,
        status: rule.to,
        record: { id, status: rule.to },
      });
      expect(Date.parse(after.at(-1)!.at)).not.toBeNaN();
    });
  });

  it('a rejection carries the reviewer’s reason to Get, ListRejects and the event', async () => {
    const id = await inStatus('SUBMIT');
    const reason = 'Clipping at 0:42 — please re-master';
    const res = await stack.command(reviewer, S.assetReject, { id, reason });
    expect(res.asset).toMatchObject({ status: 'REJECT', reason });
    expect((await stack.get(owner, id)).reason).toBe(reason);
    const list = await stack.command(owner, S.assetListRejects, { uid: owner.id, limit: 100 });
    expect(list.items.find((a) => a.id === id)).toMatchObject({ status: 'REJECT', reason });
    const events = await stack.eventsUntil(id, 2);
    expect(events.at(-1)).toMatchObject({ status: 'REJECT', record: { reason } });
  });

  it('an unknown asset is not found for every action', async () => {
    for (const action of ACTIONS) {
      const refused = await refusal(act(action, '987654321'));
      expect(refused.kind).toBe('notFound');
      expect(refused.message).toMatch('audio asset 987654321 not found');
    }
  });

  describe('own deletes free storage', () => {
    it('DeleteDraft removes the draft and its chunk objects', async () => {
      const bytes = randomBytes(3 * stack.chunkSize - 10);
      const plan = await stack.create(owner, {
        name: 'gone.mp3',
        size: bytes.length,
        hash: sha256(bytes),
      });
      await stack.upload(owner, plan.id, bytes, [0, 2]);
      expect(await stack.chunkObjects(plan.id)).toHaveLength(2);

      expect(await stack.command(owner, S.assetDeleteDraft, { id: plan.id })).toEqual({});
      await waitFor('the chunk objects to be deleted', async () =>
        (await stack.chunkObjects(plan.id)).length === 0 ? true : undefined,
      );
      const events = await stack.eventsUntil(plan.id, 2);
      expect(events.at(-1)).toMatchObject({ previous_status: 'DRAFT', status: 'DELETE' });

      expect((await refusal(stack.command(owner, S.assetChunks, { id: plan.id }))).kind).toBe(
        'notFound',
      );
      expect((await refusal(stack.get(owner, plan.id))).kind).toBe('notFound');
      const again = await refusal(stack.command(owner, S.assetDeleteDraft, { id: plan.id }));
      expect(again.kind).toBe('notFound');
      const drafts = await stack.command(owner, S.assetListDrafts, { uid: owner.id, limit: 100 });
      expect(drafts.items.map((a) => a.id)).not.toContain(plan.id);
    });

    it('DeleteReject removes the asset and unpins the files nothing else uses', async () => {
      const unique = await stack.ingest(
        owner,
        'unique.mp3',
        await makeMp3(stack.dir, { seconds: 2 }),
      );
      const cids = unique.files.map((f) => f.cid).sort();
      await stack.command(reviewer, S.assetReject, { id: unique.id, reason: 'no' });
      const unpins = await stack.tap<{ cids: string[] }>('jobs.ipfs.unpin');
      try {
        expect(await stack.command(owner, S.assetDeleteReject, { id: unique.id })).toEqual({});
        await waitFor('the unpin job', () =>
          unpins.messages.find((m) => m.cids.includes(cids[0]!)),
        );
        expect(unpins.messages.filter((m) => m.cids.includes(cids[0]!))[0]!.cids.sort()).toEqual(
          cids,
        );
      } finally {
        unpins.stop();
      }
      await stack.untilUnpinned(cids);
      const events = await stack.eventsUntil(unique.id, 5);
      expect(events.at(-1)).toMatchObject({ previous_status: 'REJECT', status: 'DELETE' });
      const rejects = await stack.command(owner, S.assetListRejects, {
        uid: owner.id,
        limit: 100,
      });
      expect(rejects.items.map((a) => a.id)).not.toContain(unique.id);
    });

    it('DeleteDraft of a merged draft unpins its files', async () => {
      const merged = await stack.ingest(
        owner,
        'kept.mp3',
        await makeMp3(stack.dir, { seconds: 2 }),
        { submit: false },
      );
      for (const f of merged.files) expect(await stack.isPinned(f.cid)).toBe(true);
      expect(await stack.command(owner, S.assetDeleteDraft, { id: merged.id })).toEqual({});
      await stack.untilUnpinned(merged.files.map((f) => f.cid));
    });

    it('each delete takes only its own status, naming the one found', async () => {
      const draft = await inStatus('DRAFT');
      const submitted = await inStatus('SUBMIT');
      const asDraft = await refusal(stack.command(owner, S.assetDeleteDraft, { id: submitted }));
      expect(asDraft.kind).toBe('conflict');
      expect(asDraft.message).toMatch(`asset ${submitted} is SUBMIT, not DRAFT`);
      const asReject = await refusal(stack.command(owner, S.assetDeleteReject, { id: draft }));
      expect(asReject.kind).toBe('conflict');
      expect(asReject.message).toMatch(`asset ${draft} is DRAFT, not REJECT`);
      expect((await stack.get(owner, submitted)).status).toBe('SUBMIT');
      expect((await stack.get(owner, draft)).status).toBe('DRAFT');
    });
  });
});
