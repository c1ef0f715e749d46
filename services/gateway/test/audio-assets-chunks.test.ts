import { randomBytes } from 'node:crypto';
import { STAGING_KINDS } from '@media-vault/test-harness';
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
  type ChunksReply,
  type Reply,
} from './audio-helpers.js';

const run = Date.now().toString(36);

// Once per staging adapter: chunks, merges and downloads must not depend on where bytes wait.
const title = 'audio asset chunks over HTTP: bad input, duplicates, streaming races, %s staging';

describe.each(STAGING_KINDS)(title, (staging) => {
  let stack: AudioStack;
  let alice: string;
  let bob: string;
  let reviewer: string;
  /** A DRAFT of alice's: 2.5 chunks of random bytes, chunk 0 stored. */
  let draft: { id: string; bytes: Buffer };
  /** alice's asset in SUBMIT. */
  let submitted: string;

  /** What the platform holds for an asset: the Chunks answer and the live chunk objects. */
  const stored = async (token: string, id: string) => ({
    chunks: (await stack.chunks(token, id)).body as ChunksReply,
    objects: await stack.chunkObjects(id),
  });

  beforeAll(async () => {
    stack = await AudioStack.start({ staging });
    alice = await stack.token(`alice-${run}`, [ASSETS]);
    bob = await stack.token(`bob-${run}`, [ASSETS]);
    reviewer = await stack.token(`reviewer-${run}`, [REVIEWER]);
    const bytes = randomBytes(2 * stack.chunkSize + stack.chunkSize / 2);
    const plan = await stack.create(alice, {
      name: 'draft.mp3',
      size: bytes.length,
      hash: sha256(bytes),
    });
    expect(plan.status).toBe(200);
    draft = { id: plan.body.id, bytes };
    await stack.upload(alice, draft.id, bytes, { indexes: [0] });
    submitted = (await stack.ingest(alice, 'submitted.mp3', await makeMp3(stack.dir))).id;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('bad chunks are refused with a clear 4xx and nothing is stored', () => {
    const piece = (index: number) => stack.piece(draft.bytes, index);
    const json = (body: unknown, token = alice) =>
      stack.http('POST', '/api/v1/assets/audio/chunk', { token, json: body });
    const raw = (query: string, body: Buffer, token = alice, id = draft.id) =>
      stack.http('POST', `/api/v1/assets/audio/chunk_file/${id}?${query}`, { token, raw: body });

    const cases: [string, () => Promise<Reply>, number, number, RegExp][] = [
      [
        'a wrong hash (JSON)',
        () => stack.chunkJson(alice, draft.id, 1, piece(1), sha256(piece(2))),
        400,
        Grpc.invalidArgument,
        /^chunk 1 hash mismatch: sent [0-9a-f]{64}, got [0-9a-f]{64}$/,
      ],
      [
        'a wrong hash (raw)',
        () => stack.chunkFile(alice, draft.id, 1, piece(1), sha256(piece(2))),
        400,
        Grpc.invalidArgument,
        /^chunk 1 hash mismatch/,
      ],
      [
        'a hash that is not sha256 hex',
        () => raw(`index=1&hash=xyz`, piece(1)),
        400,
        Grpc.invalidArgument,
        /hash/,
      ],
      [
        'an index past the plan (JSON)',
        () => stack.chunkJson(alice, draft.id, 3, piece(2)),
        400,
        Grpc.invalidArgument,
        new RegExp(`^index: 3 is out of range; asset ${'\\d+'} has chunks 0 to 2$`),
      ],
      [
        'an index past the plan (raw)',
        () => stack.chunkFile(alice, draft.id, 99, piece(2)),
        400,
        Grpc.invalidArgument,
        /index: 99 is out of range/,
      ],
      ['a negative index', () => raw('index=-1', piece(1)), 400, Grpc.invalidArgument, /index/],
      ['no index', () => raw('', piece(1)), 400, Grpc.invalidArgument, /index/],
      [
        'an oversized chunk (JSON)',
        () => stack.chunkJson(alice, draft.id, 1, Buffer.concat([piece(1), Buffer.from([1])])),
        400,
        Grpc.invalidArgument,
        /^chunk 1 is larger than its 65536 bytes$/,
      ],
      [
        'an oversized chunk (raw)',
        () => stack.chunkFile(alice, draft.id, 1, Buffer.concat([piece(1), randomBytes(5000)])),
        400,
        Grpc.invalidArgument,
        /^chunk 1 is larger than its 65536 bytes$/,
      ],
      [
        'an oversized last chunk',
        () => stack.chunkFile(alice, draft.id, 2, piece(1)),
        400,
        Grpc.invalidArgument,
        /^chunk 2 is larger than its 32768 bytes$/,
      ],
      [
        'a short chunk (JSON)',
        () => stack.chunkJson(alice, draft.id, 1, piece(1).subarray(1)),
        400,
        Grpc.invalidArgument,
        /^chunk 1 has 65535 bytes; expected 65536$/,
      ],
      [
        'a short chunk (raw)',
        () => stack.chunkFile(alice, draft.id, 2, piece(2).subarray(0, 100)),
        400,
        Grpc.invalidArgument,
        /^chunk 2 has 100 bytes; expected 32768$/,
      ],
      [
        'an empty raw body',
        () => raw('index=1', Buffer.alloc(0)),
        400,
        Grpc.invalidArgument,
        /^chunk 1 has 0 bytes; expected 65536$/,
      ],
      [
        'data that is not base64',
        () => json({ id: draft.id, index: 1, data: '%%% not base64 %%%' }),
        400,
        Grpc.invalidArgument,
        /^data: is not base64$/,
      ],
      [
        'a JSON body over the chunk body limit',
        () => json({ id: draft.id, index: 1, data: 'A'.repeat(5 * stack.chunkSize) }),
        413,
        Grpc.outOfRange,
        /^request body is larger than the \d+-byte limit$/,
      ],
      [
        'an unknown field',
        () => json({ id: draft.id, index: 1, data: piece(1).toString('base64'), extra: 1 }),
        400,
        Grpc.invalidArgument,
        /additional properties/i,
      ],
      [
        'an id that is not a number',
        () => json({ id: 'abc', index: 1, data: piece(1).toString('base64') }),
        400,
        Grpc.invalidArgument,
        /id/,
      ],
      [
        "another user's draft (JSON)",
        () => stack.chunkJson(bob, draft.id, 1, piece(1)),
        404,
        Grpc.notFound,
        /^audio asset \d+ not found$/,
      ],
      [
        "another user's draft (raw)",
        () => raw('index=1', piece(1), bob),
        404,
        Grpc.notFound,
        /^audio asset \d+ not found$/,
      ],
      ['no token', () => raw('index=1', piece(1), ''), 401, Grpc.unauthenticated, /missing token/],
      [
        'a reviewer (no assets role)',
        () => stack.chunkJson(reviewer, draft.id, 1, piece(1)),
        403,
        Grpc.permissionDenied,
        /roles/,
      ],
    ];

    it.each(cases)('%s', async (_label, send, status, code, message) => {
      const before = await stored(alice, draft.id);
      expect(before.chunks.chunks.map((c) => c.index)).toEqual([0]);
      const res = await send();
      expectGrpcError(res, status, code, message);
      const after = await stored(alice, draft.id);
      expect(after).toEqual(before);
    });

    it('an unknown asset is 404 with the same answer as a foreign one', async () => {
      const unknown = String(BigInt(draft.id) + 1_000_000n);
      const a = await stack.chunkJson(alice, unknown, 0, piece(0));
      expectGrpcError(a, 404, Grpc.notFound, `audio asset ${unknown} not found`);
      const b = await stack.chunkFile(alice, unknown, 0, piece(0));
      expectGrpcError(b, 404, Grpc.notFound, `audio asset ${unknown} not found`);
      const c = await stack.chunks(alice, unknown);
      expectGrpcError(c, 404, Grpc.notFound, `audio asset ${unknown} not found`);
      const d = await stack.chunks(bob, draft.id);
      expectGrpcError(d, 404, Grpc.notFound, `audio asset ${draft.id} not found`);
    });

    it('an asset that is not a DRAFT is 409 and stays as it was', async () => {
      const before = (await stack.byId(alice, submitted)).body;
      const bytes = randomBytes(10);
      for (const res of [
        await stack.chunkJson(alice, submitted, 0, bytes),
        await stack.chunkFile(alice, submitted, 0, bytes),
      ]) {
        expectGrpcError(
          res,
          409,
          Grpc.aborted,
          `asset ${submitted} is SUBMIT; chunks go only to an unmerged DRAFT`,
        );
      }
      expect((await stack.byId(alice, submitted)).body).toEqual(before);
      expect(await stack.chunkObjects(submitted)).toEqual([]);
    });
  });

  describe('re-sending a stored chunk is a no-op', () => {
    it('answers as before with duplicate: true, on both routes, and stores nothing more', async () => {
      const piece = stack.piece(draft.bytes, 0);
      const before = await stored(alice, draft.id);
      const expected = {
        index: 0,
        size: String(piece.length),
        hash: sha256(piece),
        duplicate: true,
      };
      const again = [
        await stack.chunkJson(alice, draft.id, 0, piece, sha256(piece)),
        await stack.chunkJson(alice, draft.id, 0, piece),
        await stack.chunkFile(alice, draft.id, 0, piece, sha256(piece)),
        await stack.chunkFile(alice, draft.id, 0, piece),
      ];
      for (const res of again) {
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body).toEqual(expected);
      }
      expect(await stored(alice, draft.id)).toEqual(before);
    });

    it('a re-send claiming another hash is a conflict, and the stored chunk stays', async () => {
      const before = await stored(alice, draft.id);
      const other = randomBytes(stack.chunkSize);
      const res = await stack.chunkFile(alice, draft.id, 0, other, sha256(other));
      expectGrpcError(res, 409, Grpc.aborted, /^chunk 0 is already stored with hash [0-9a-f]{64}/);
      expect(await stored(alice, draft.id)).toEqual(before);
    });
  });

  // A chunk stored by a parallel request while this one was still streaming: the service reports
  // the stored chunk as a duplicate, and the gateway compares its hash with the bytes it was sent.
  it('a chunk that loses a race to different bytes is a conflict, not a duplicate', async () => {
    const size = stack.chunkSize + 10;
    const plan = await stack.create(alice, {
      name: 'lost.mp3',
      size,
      hash: sha256(randomBytes(8)),
    });
    const id = plan.body.id;
    const mine = randomBytes(stack.chunkSize);
    const theirs = randomBytes(stack.chunkSize);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let sent = 0;
    let pulled = 0;
    // The first bytes go at once, the rest only once the other upload is stored.
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 0) {
          sent = 1000;
          pulled++;
          controller.enqueue(mine.subarray(0, 1000));
          return;
        }
        pulled++;
        await released;
        controller.enqueue(mine.subarray(1000));
        controller.close();
      },
    });
    try {
      const slow = fetch(
        new URL(`/api/v1/assets/audio/chunk_file/${id}?index=0`, stack.gateway.url),
        {
          method: 'POST',
          headers: { token: alice, 'content-type': 'application/octet-stream' },
          body,
          duplex: 'half',
        } as RequestInit,
      );
      // Asked for more than the first bytes: the slow upload is streaming.
      await waitFor('the slow upload to begin', () => (pulled >= 2 ? true : undefined));
      const fast = await stack.chunkFile(alice, id, 0, theirs);
      expect(fast.status).toBe(200);
      expect(fast.body).toMatchObject({ hash: sha256(theirs), duplicate: false });
      release();
      const res = await slow;
      const answer = (await res.json()) as { hash?: string; message?: string };
      // Stored are their bytes, not mine: "duplicate" would tell the client its chunk is in.
      expect({ status: res.status, answer }).toMatchObject({
        status: 409,
        answer: { message: expect.stringMatching(/already stored/) },
      });
    } finally {
      release();
    }
    expect((await stack.chunks(alice, id)).body.chunks).toEqual([
      { index: 0, size: String(stack.chunkSize), hash: sha256(theirs) },
    ]);
    expect(await stack.chunkObjects(id)).toHaveLength(1);
  });

  describe('bad Create and Merge requests are refused and store nothing', () => {
    const drafts = async () =>
      (
        await stack.http<{ total: string }>('GET', `/api/v1/assets/audio/drafts/alice-${run}`, {
          token: alice,
        })
      ).body.total;

    it.each([
      ['size 0', { name: 'a.mp3', size: 0 }, /size: an audio file has at least 1 byte/],
      ['size over ASSET_MAX_SIZE', { name: 'a.mp3', size: '5000000000' }, /size: larger than/],
      ['a negative size', { name: 'a.mp3', size: -1 }, /size/],
      ['a hash that is not sha256', { name: 'a.mp3', size: 10, hash: 'abc' }, /hash/],
      ['an empty name', { name: '', size: 10 }, /name/],
      ['a 256-character name', { name: 'n'.repeat(256), size: 10 }, /name/],
      ['an unknown field', { name: 'a.mp3', size: 10, owner: 'mallory' }, /additional/i],
    ])('Create with %s', async (_label, body, message) => {
      const before = await drafts();
      const res = await stack.http('POST', '/api/v1/assets/audio', {
        token: alice,
        json: { hash: sha256(randomBytes(8)), ...body },
      });
      expectGrpcError(res, 400, Grpc.invalidArgument, message);
      expect(await drafts()).toBe(before);
    });

    it('Create takes the size as a JSON number or a decimal string', async () => {
      for (const size of [12_345, '12345']) {
        const res = await stack.create(alice, {
          name: 's.mp3',
          size,
          hash: sha256(randomBytes(8)),
        });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ chunkCount: 1, asset: { size: '12345' } });
      }
    });

    it('Create with an Idempotency-Key: a retry gets the same plan, not a second draft', async () => {
      const key = randomBytes(16).toString('hex');
      const body = { name: 'idem.mp3', size: 12_345, hash: sha256(randomBytes(8)) };
      const send = (json: object, token = alice, sentKey = key) =>
        stack.http<{ id: string }>('POST', '/api/v1/assets/audio', {
          token,
          json,
          headers: { 'Idempotency-Key': sentKey },
        });
      const before = Number(await drafts());
      const first = await send(body);
      expect(first.status).toBe(200);
      // The size as a string is the same request.
      const again = await send({ ...body, size: '12345' });
      expect([again.status, again.body]).toEqual([200, first.body]);
      expect(Number(await drafts())).toBe(before + 1);

      expectGrpcError(
        await send({ ...body, name: 'other.mp3' }),
        409,
        Grpc.aborted,
        /Idempotency-Key: this key was already used for a different request/,
      );
      expectGrpcError(
        await send(body, alice, 'a key'),
        400,
        Grpc.invalidArgument,
        /idempotency-key/,
      );
      expect(Number(await drafts())).toBe(before + 1);
      // Bob's same key is his own: he gets a draft of his, not alice's plan.
      const bobs = await send(body, bob);
      expect(bobs.status).toBe(200);
      expect(bobs.body.id).not.toBe(first.body.id);
    });

    it('Merge of an unknown, a foreign or a malformed id', async () => {
      expectGrpcError(await stack.merge(alice, '987654321'), 404, Grpc.notFound);
      expectGrpcError(await stack.merge(bob, draft.id), 404, Grpc.notFound);
      expectGrpcError(await stack.merge(alice, 'x1'), 400, Grpc.invalidArgument);
      expectGrpcError(
        await stack.merge(alice, '9223372036854775808'),
        400,
        Grpc.invalidArgument,
        /out of range/,
      );
      expect((await stack.byId(alice, draft.id)).body.asset.status).toBe('DRAFT');
    });
  });

  // Races between uploads of one chunk, parallel uploads and parallel merges are the assets
  // service's to settle: services/assets/test/chunks.pipeline.test.ts.
});
