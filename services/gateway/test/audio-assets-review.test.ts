import type { AssetStatus } from '@media-vault/contracts';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ASSETS,
  AudioStack,
  expectGrpcError,
  Grpc,
  makeMp3,
  REVIEWER,
  sha256,
  waitFor,
  type AssetPage,
  type MediaFile,
  type Reply,
} from './audio-helpers.js';

const run = Date.now().toString(36);
const ownerId = `owner-${run}`;

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

describe('audio asset review over HTTP: transitions, events, reasons, deletes', () => {
  let stack: AudioStack;
  let owner: string;
  let reviewer: string;
  let source: MediaFile;

  const ok = <T>(res: Reply<T>): T => {
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  const act = (action: Action, id: string, token = reviewer): Promise<Reply> => {
    if (action === 'delete') return stack.http('DELETE', `/api/v1/assets/audio/${id}`, { token });
    if (action === 'reject') return stack.reject(token, id, 'the reviewer’s reason');
    return stack.review(token, action, id);
  };

  /** An asset of the owner's in `status`; merged ones are copies of the owner's `source` (dedupe). */
  const inStatus = async (status: Start): Promise<string> => {
    if (status === 'DRAFT') {
      const plan = ok(
        await stack.create(owner, { name: 'd.mp3', size: 10, hash: sha256(randomBytes(8)) }),
      );
      return plan.id;
    }
    const copy = ok(
      await stack.create(owner, { name: 'c.mp3', size: source.bytes.length, hash: source.hash }),
    );
    const id = copy.id;
    if (status === 'REJECT') ok(await act('reject', id));
    if (status === 'POST' || status === 'DISABLE' || status === 'DELETE') {
      ok(await act('resolve', id));
    }
    if (status === 'DISABLE') ok(await act('disable', id));
    if (status === 'DELETE') ok(await act('delete', id));
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
    stack = await AudioStack.start();
    owner = await stack.token(ownerId, [ASSETS]);
    reviewer = await stack.token(`reviewer-${run}`, [REVIEWER]);
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

      const res = await act(action, id);
      const allowed = rule.from.includes(from);
      if (from === 'DELETE') {
        expectGrpcError(res, 404, Grpc.notFound, `audio asset ${id} not found`);
      } else if (!allowed) {
        expectGrpcError(
          res,
          409,
          Grpc.aborted,
          `asset ${id} is ${from}; ${action} needs ${rule.from.join(' or ')}`,
        );
      } else {
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body).toMatchObject({ asset: { id, status: rule.to } });
      }

      await flushEvents();
      const after = await stack.events(id);
      if (!allowed) {
        expect(after).toEqual(before);
        if (from !== 'DELETE') expect(ok(await stack.byId(reviewer, id)).asset.status).toBe(from);
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

  describe('reject', () => {
    const refusedReject = async (json: unknown) => {
      const id = await inStatus('SUBMIT');
      const res = await stack.http('POST', `/api/v1/assets/audio/reject/${id}`, {
        token: reviewer,
        ...(json === undefined ? {} : { json }),
      });
      expectGrpcError(res, 400, Grpc.invalidArgument);
      expect(ok(await stack.byId(owner, id)).asset).toMatchObject({ status: 'SUBMIT', reason: '' });
    };

    it('carries the reviewer’s reason to by_id, ListReject and the event', async () => {
      const id = await inStatus('SUBMIT');
      const reason = 'Clipping at 0:42 — please re-master';
      const res = await stack.reject(reviewer, id, reason);
      expect(ok(res).asset).toMatchObject({ status: 'REJECT', reason });
      expect(ok(await stack.byId(owner, id)).asset.reason).toBe(reason);
      const list = ok(
        await stack.http<AssetPage>('GET', `/api/v1/assets/audio/rejects/${ownerId}?limit=100`, {
          token: owner,
        }),
      );
      expect(list.items.find((a) => a.id === id)).toMatchObject({ status: 'REJECT', reason });
      const events = await stack.eventsUntil(id, 2);
      expect(events.at(-1)).toMatchObject({ status: 'REJECT', record: { reason } });
    });

    it.each([
      ['no body', undefined],
      ['no reason', {}],
      ['an empty reason', { reason: '' }],
      ['a reason over 1000 characters', { reason: 'x'.repeat(1001) }],
    ])('refuses %s with 400 and changes nothing', async (_label, json) => {
      await refusedReject(json);
    });

    // Seed 002 declares Reject without `body`: grpc-gateway maps `reason` to the query string.
    it('takes the reason from the query string when no body is sent', async () => {
      const id = await inStatus('SUBMIT');
      const reason = 'Clipping at 0:42 & 1:10 — 请重新母带';
      const res = await stack.http<{ asset: { status: string; reason: string } }>(
        'POST',
        `/api/v1/assets/audio/reject/${id}?reason=${encodeURIComponent(reason)}`,
        { token: reviewer },
      );
      expect(ok(res).asset).toMatchObject({ status: 'REJECT', reason });
      expect(ok(await stack.byId(owner, id)).asset).toMatchObject({ status: 'REJECT', reason });
    });

    it('refuses an empty or too long reason in the query with 400 and changes nothing', async () => {
      for (const reason of ['', 'x'.repeat(1001)]) {
        const id = await inStatus('SUBMIT');
        const res = await stack.http('POST', `/api/v1/assets/audio/reject/${id}?reason=${reason}`, {
          token: reviewer,
        });
        expectGrpcError(res, 400, Grpc.invalidArgument);
        expect(ok(await stack.byId(owner, id)).asset).toMatchObject({
          status: 'SUBMIT',
          reason: '',
        });
      }
    });

    // The reject body schema lacks additionalProperties: false, unlike every other audio body.
    it('refuses an unknown field with 400 and changes nothing', async () => {
      await refusedReject({ reason: 'ok', extra: true });
    });
  });

  it('an unknown asset is 404 for every action', async () => {
    for (const action of ACTIONS) {
      expectGrpcError(
        await act(action, '987654321'),
        404,
        Grpc.notFound,
        'audio asset 987654321 not found',
      );
    }
  });

  describe('own deletes free storage', () => {
    it('DeleteDraft removes the draft and its chunk objects', async () => {
      const bytes = randomBytes(3 * stack.chunkSize - 10);
      const plan = ok(
        await stack.create(owner, { name: 'gone.mp3', size: bytes.length, hash: sha256(bytes) }),
      );
      await stack.upload(owner, plan.id, bytes, { indexes: [0, 2] });
      expect(await stack.chunkObjects(plan.id)).toHaveLength(2);

      const res = await stack.http('DELETE', `/api/v1/assets/audio/drafts/${plan.id}`, {
        token: owner,
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
      await waitFor('the chunk objects to be deleted', async () =>
        (await stack.chunkObjects(plan.id)).length === 0 ? true : undefined,
      );
      const events = await stack.eventsUntil(plan.id, 2);
      expect(events.at(-1)).toMatchObject({ previous_status: 'DRAFT', status: 'DELETE' });

      expectGrpcError(await stack.chunks(owner, plan.id), 404, Grpc.notFound);
      expectGrpcError(await stack.byId(owner, plan.id), 404, Grpc.notFound);
      const again = await stack.http('DELETE', `/api/v1/assets/audio/drafts/${plan.id}`, {
        token: owner,
      });
      expectGrpcError(again, 404, Grpc.notFound);
      const drafts = ok(
        await stack.http<AssetPage>('GET', `/api/v1/assets/audio/drafts/${ownerId}?limit=100`, {
          token: owner,
        }),
      );
      expect(drafts.items.map((a) => a.id)).not.toContain(plan.id);
    });

    it('DeleteReject removes the asset and unpins the files nothing else uses', async () => {
      const unique = await stack.ingest(
        owner,
        'unique.mp3',
        await makeMp3(stack.dir, { seconds: 2 }),
      );
      const cids = unique.files.map((f) => f.cid).sort();
      ok(await stack.reject(reviewer, unique.id, 'no'));
      const unpins = await stack.tap<{ cids: string[] }>('jobs.ipfs.unpin');
      try {
        const res = await stack.http('DELETE', `/api/v1/assets/audio/reject/${unique.id}`, {
          token: owner,
        });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({});
        await waitFor('the unpin job', () =>
          unpins.messages.find((m) => m.cids.includes(cids[0]!)),
        );
        expect(unpins.messages.filter((m) => m.cids.includes(cids[0]!))[0]!.cids.sort()).toEqual(
          cids,
        );
      } finally {
        unpins.stop();
      }
      await waitFor(
        'the files to be unpinned',
        async () => {
          for (const cid of cids) if (await stack.isPinned(cid)) return undefined;
          return true;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      const events = await stack.eventsUntil(unique.id, 5);
      expect(events.at(-1)).toMatchObject({ previous_status: 'REJECT', status: 'DELETE' });
      const rejects = ok(
        await stack.http<AssetPage>('GET', `/api/v1/assets/audio/rejects/${ownerId}?limit=100`, {
          token: owner,
        }),
      );
      expect(rejects.items.map((a) => a.id)).not.toContain(unique.id);
    });

    it('DeleteDraft of a merged draft unpins its files', async () => {
      const merged = await stack.ingest(
        owner,
        'kept.mp3',
        await makeMp3(stack.dir, { seconds: 2 }),
        {
          submit: false,
        },
      );
      for (const f of merged.files) expect(await stack.isPinned(f.cid)).toBe(true);
      const res = await stack.http('DELETE', `/api/v1/assets/audio/drafts/${merged.id}`, {
        token: owner,
      });
      expect(res.status).toBe(200);
      await waitFor(
        'the files to be unpinned',
        async () => {
          for (const f of merged.files) if (await stack.isPinned(f.cid)) return undefined;
          return true;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
    });

    it('each delete takes only its own status, naming the one found', async () => {
      const draft = await inStatus('DRAFT');
      const submitted = await inStatus('SUBMIT');
      const asDraft = await stack.http('DELETE', `/api/v1/assets/audio/drafts/${submitted}`, {
        token: owner,
      });
      expectGrpcError(asDraft, 409, Grpc.aborted, `asset ${submitted} is SUBMIT, not DRAFT`);
      const asReject = await stack.http('DELETE', `/api/v1/assets/audio/reject/${draft}`, {
        token: owner,
      });
      expectGrpcError(asReject, 409, Grpc.aborted, `asset ${draft} is DRAFT, not REJECT`);
      expect(ok(await stack.byId(owner, submitted)).asset.status).toBe('SUBMIT');
      expect(ok(await stack.byId(owner, draft)).asset.status).toBe('DRAFT');
    });
  });
});
