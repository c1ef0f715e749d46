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
  type AssetPage,
  type MediaFile,
  type Reply,
} from './audio-helpers.js';

const run = Date.now().toString(36);
const ownerId = `owner-${run}`;

type Action = 'resolve' | 'reject' | 'disable' | 'recover' | 'delete';
const ACTIONS: Action[] = ['resolve', 'reject', 'disable', 'recover', 'delete'];
type Start = Exclude<AssetStatus, 'MERGING'>;

describe('audio asset review over HTTP: routes, bodies and status mapping', () => {
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

  // The rules (every transition, its events, reasons, what a delete frees) are tested against
  // the assets service in services/assets/test/review.pipeline.test.ts; here, how the routes map.
  it('each review route answers the asset, and a refused move is 409 ABORTED with the service’s message', async () => {
    const id = await inStatus('SUBMIT');
    expect(ok(await act('resolve', id))).toMatchObject({ asset: { id, status: 'POST' } });
    expectGrpcError(
      await act('resolve', id),
      409,
      Grpc.aborted,
      `asset ${id} is POST; resolve needs SUBMIT`,
    );
    expect(ok(await act('disable', id))).toMatchObject({ asset: { id, status: 'DISABLE' } });
    expect(ok(await act('recover', id))).toMatchObject({ asset: { id, status: 'POST' } });
    expect(ok(await act('delete', id))).toMatchObject({ asset: { id, status: 'DELETE' } });
    expectGrpcError(await act('delete', id), 404, Grpc.notFound, `audio asset ${id} not found`);
    const rejected = await inStatus('REJECT');
    expect(ok(await stack.byId(owner, rejected)).asset).toMatchObject({
      status: 'REJECT',
      reason: 'the reviewer’s reason',
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

    it('refuses a reason over 1000 characters with 400 and changes nothing', async () => {
      await refusedReject({ reason: 'x'.repeat(1001) });
    });

    // Seed 002 declares Reject without `body`, so a client may send nothing at all; grpc-gateway
    // gives the service an empty reason then, and so does the gateway.
    it.each([
      ['no body', undefined],
      ['no reason', {}],
      ['an empty reason', { reason: '' }],
      ['an empty reason in the query', undefined, '?reason='],
    ])('rejects with %s, leaving the reason empty', async (_label, json, query = '') => {
      const id = await inStatus('SUBMIT');
      const res = await stack.http<{ asset: { status: string; reason: string } }>(
        'POST',
        `/api/v1/assets/audio/reject/${id}${query}`,
        { token: reviewer, ...(json === undefined ? {} : { json }) },
      );
      expect(ok(res).asset).toMatchObject({ status: 'REJECT', reason: '' });
      expect(ok(await stack.byId(owner, id)).asset).toMatchObject({ status: 'REJECT', reason: '' });
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

    it('refuses a too long reason in the query with 400 and changes nothing', async () => {
      for (const reason of ['x'.repeat(1001)]) {
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

  describe('own deletes', () => {
    it('DELETE drafts/{id} and reject/{id} answer {}; the wrong status is 409, a deleted one 404', async () => {
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

      const res = await stack.http('DELETE', `/api/v1/assets/audio/drafts/${draft}`, {
        token: owner,
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
      const again = await stack.http('DELETE', `/api/v1/assets/audio/drafts/${draft}`, {
        token: owner,
      });
      expectGrpcError(again, 404, Grpc.notFound);

      const rejected = await inStatus('REJECT');
      const gone = await stack.http('DELETE', `/api/v1/assets/audio/reject/${rejected}`, {
        token: owner,
      });
      expect(gone.status).toBe(200);
      expect(gone.body).toEqual({});
      const rejects = ok(
        await stack.http<AssetPage>('GET', `/api/v1/assets/audio/rejects/${ownerId}?limit=100`, {
          token: owner,
        }),
      );
      expect(rejects.items.map((a) => a.id)).not.toContain(rejected);
    });
  });
});
