import { AudioAssetCommandSubjects as S } from '@media-vault/contracts';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { STAGING_KINDS } from '@media-vault/test-harness';
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
  type AssetEvent,
} from './pipeline-stack.js';

// Once per staging adapter: chunks, merges and downloads must not depend on where bytes wait.
const title = 'audio asset chunks and merges at the command level, %s staging';

/**
 * The service's side of chunked uploads: which chunks it takes, races between uploads of one
 * chunk, parallel uploads and merges. How the gateway streams, counts and hashes a chunk's bytes
 * is tested in the gateway (audio-assets-chunks.test.ts).
 */
describe.each(STAGING_KINDS)(title, (staging) => {
  let stack: PipelineStack;
  const alice = person('alice', [ASSETS]);
  const bob = person('bob', [ASSETS]);
  const reviewer = person('reviewer', [REVIEWER]);
  /** A DRAFT of alice's: 2.5 chunks of random bytes, chunk 0 stored. */
  let draft: { id: string; bytes: Buffer };
  /** alice's asset in SUBMIT. */
  let submitted: string;

  /** What the platform holds for an asset: the Chunks answer and the live chunk objects. */
  const stored = async (id: string) => ({
    chunks: await stack.command(alice, S.assetChunks, { id }),
    objects: await stack.chunkObjects(id),
  });

  beforeAll(async () => {
    stack = await PipelineStack.start({ staging });
    const bytes = randomBytes(2 * stack.chunkSize + stack.chunkSize / 2);
    const plan = await stack.create(alice, {
      name: 'draft.mp3',
      size: bytes.length,
      hash: sha256(bytes),
    });
    draft = { id: plan.id, bytes };
    await stack.upload(alice, draft.id, bytes, [0]);
    submitted = (await stack.ingest(alice, 'submitted.mp3', await makeMp3(stack.dir))).id;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('chunks the service refuses, storing nothing', () => {
    const piece = (index: number) => stack.piece(draft.bytes, index);
    const commit = (index: number, size: number, p = alice, id = draft.id) =>
      stack.command(p, S.assetChunkCommit, {
        id,
        index,
        object: `${id}/${index}/never-stored`,
        size,
        hash: sha256(piece(index)),
      });

    const cases: [string, () => Promise<unknown>, string, RegExp][] = [
      [
        'an index past the plan',
        () => commit(3, 100),
        'badRequest',
        /^index: 3 is out of range; asset \d+ has chunks 0 to 2$/,
      ],
      [
        'an index far past the plan',
        () => commit(99, 100),
        'badRequest',
        /index: 99 is out of range/,
      ],
      [
        'a short chunk',
        () => commit(1, 65_535),
        'badRequest',
        /^chunk 1 has 65535 bytes; expected 65536$/,
      ],
      [
        'a short last chunk',
        () => commit(2, 100),
        'badRequest',
        /^chunk 2 has 100 bytes; expected 32768$/,
      ],
      [
        'a long chunk',
        () => commit(1, 65_537),
        'badRequest',
        /^chunk 1 is larger than its 65536 bytes$/,
      ],
      [
        'a long last chunk',
        () => commit(2, 65_536),
        'badRequest',
        /^chunk 2 is larger than its 32768 bytes$/,
      ],
      ['an empty chunk', () => commit(1, 0), 'badRequest', /^chunk 1 has 0 bytes; expected 65536$/],
      [
        'an object named for another chunk',
        () =>
          stack.command(alice, S.assetChunkCommit, {
            id: draft.id,
            index: 1,
            object: `${draft.id}/2/x`,
            size: 65_536,
            hash: sha256(piece(1)),
          }),
        'badRequest',
        /^object: does not belong to this chunk$/,
      ],
      ['an id that is not a number', () => commit(1, 65_536, alice, 'abc'), 'badRequest', /id/],
      [
        "another user's draft",
        () => commit(1, 65_536, bob),
        'notFound',
        /^audio asset \d+ not found$/,
      ],
      ['a reviewer (no assets role)', () => commit(1, 65_536, reviewer), 'forbidden', /roles?/],
    ];

    it.each(cases)('%s', async (_label, send, kind, message) => {
      const before = await stored(draft.id);
      expect(before.chunks.chunks.map((c) => c.index)).toEqual([0]);
      const refused = await refusal(send());
      expect(refused.kind).toBe(kind);
      expect(refused.message).toMatch(message);
      expect(await stored(draft.id)).toEqual(before);
    });

    it('an unknown asset is not found with the same answer as a foreign one', async () => {
      const unknown = String(BigInt(draft.id) + 1_000_000n);
      // One at a time: a second request sent while the first is awaited would reject unhandled.
      for (const work of [
        () => commit(0, 65_536, alice, unknown),
        () => stack.command(alice, S.assetChunks, { id: unknown }),
      ]) {
        expect(await refusal(work())).toEqual({
          kind: 'notFound',
          message: `audio asset ${unknown} not found`,
        });
      }
      expect(await refusal(stack.command(bob, S.assetChunks, { id: draft.id }))).toEqual({
        kind: 'notFound',
        message: `audio asset ${draft.id} not found`,
      });
    });

    it('an asset that is not a DRAFT is a conflict and stays as it was', async () => {
      const before = await stack.get(alice, submitted);
      const refused = await refusal(commit(0, 10, alice, submitted));
      expect(refused).toEqual({
        kind: 'conflict',
        message: `asset ${submitted} is SUBMIT; chunks go only to an unmerged DRAFT`,
      });
      expect(await stack.get(alice, submitted)).toEqual(before);
      expect(await stack.chunkObjects(submitted)).toEqual([]);
    });
  });

  describe('re-sending a stored chunk', () => {
    it('is a duplicate that stores nothing more', async () => {
      const piece = stack.piece(draft.bytes, 0);
      const before = await stored(draft.id);
      const { committed } = await stack.chunk(alice, draft.id, 0, piece);
      expect(committed).toEqual({
        index: 0,
        size: String(piece.length),
        hash: sha256(piece),
        duplicate: true,
      });
      expect(await stored(draft.id)).toEqual(before);
    });

    it('the same chunk sent three times at once is stored once', async () => {
      const bytes = randomBytes(stack.chunkSize + 10);
      const plan = await stack.create(alice, {
        name: 'race.mp3',
        size: bytes.length,
        hash: sha256(bytes),
      });
      const piece = stack.piece(bytes, 0);
      const replies = await Promise.all(
        [0, 1, 2].map(async () => (await stack.chunk(alice, plan.id, 0, piece)).committed),
      );
      for (const reply of replies) expect(reply).toMatchObject({ index: 0, hash: sha256(piece) });
      expect(replies.filter((r) => !r.duplicate)).toHaveLength(1);
      const { chunks, objects } = await stored(plan.id);
      expect(chunks.chunks.map((c) => c.index)).toEqual([0]);
      expect(objects).toHaveLength(1);
    });

    it('a commit that loses a race to different bytes reports the stored chunk, not its own', async () => {
      const plan = await stack.create(alice, {
        name: 'lost.mp3',
        size: stack.chunkSize + 10,
        hash: sha256(randomBytes(8)),
      });
      const mine = randomBytes(stack.chunkSize);
      const theirs = randomBytes(stack.chunkSize);
      // Both are staged before either commits.
      const slow = `${plan.id}/0/slow-attempt`;
      const fast = await stack.chunk(alice, plan.id, 0, theirs);
      expect(fast.committed).toMatchObject({ hash: sha256(theirs), duplicate: false });
      const late = await stack.command(alice, S.assetChunkCommit, {
        id: plan.id,
        index: 0,
        object: slow,
        size: mine.length,
        hash: sha256(mine),
      });
      // The gateway turns a duplicate whose hash is not its own into a conflict.
      expect(late).toEqual({
        index: 0,
        size: String(stack.chunkSize),
        hash: sha256(theirs),
        duplicate: true,
      });
      expect((await stack.command(alice, S.assetChunks, { id: plan.id })).chunks).toEqual([
        { index: 0, size: String(stack.chunkSize), hash: sha256(theirs) },
      ]);
      expect(await stack.chunkObjects(plan.id)).toHaveLength(1);
    });
  });

  it('Merge of an unknown, a foreign or a malformed id', async () => {
    expect((await refusal(stack.merge(alice, '987654321'))).kind).toBe('notFound');
    expect((await refusal(stack.merge(bob, draft.id))).kind).toBe('notFound');
    expect((await refusal(stack.merge(alice, 'x1'))).kind).toBe('badRequest');
    const tooLarge = await refusal(stack.merge(alice, '9223372036854775808'));
    expect(tooLarge.kind).toBe('badRequest');
    expect(tooLarge.message).toMatch(/out of range/);
    expect((await stack.get(alice, draft.id)).status).toBe('DRAFT');
  });

  it('uploads every chunk of an asset at once, then merges it', async () => {
    const file = await makeMp3(stack.dir, { seconds: 12, bitrate: '256k' });
    const plan = await stack.created(alice, 'parallel.mp3', file);
    expect(plan.chunkCount).toBeGreaterThanOrEqual(5);
    const indexes = [...Array(plan.chunkCount).keys()];
    const replies = await Promise.all(
      indexes.map(
        async (index) =>
          (await stack.chunk(alice, plan.id, index, stack.piece(file.bytes, index))).committed,
      ),
    );
    expect(replies.map((r) => r.duplicate)).toEqual(indexes.map(() => false));
    const { chunks, objects } = await stored(plan.id);
    expect(chunks.chunks.map((c) => c.index)).toEqual(indexes);
    expect(objects).toHaveLength(plan.chunkCount);
    // The run is on the adapter it names: only fs staging makes the shared directory.
    expect(existsSync(join(stack.dir, 'staging')), staging).toBe(staging === 'fs');

    await stack.merge(alice, plan.id);
    const asset = await stack.settled(alice, plan.id);
    expect(asset.status, asset.reason).toBe('SUBMIT');
    expect(asset.files.find((f) => f.file === 0)?.size).toBe(String(file.bytes.length));
  });

  it('five merges at once run one merge job and end in one SUBMIT', async () => {
    const file = await makeMp3(stack.dir, { seconds: 6 });
    const plan = await stack.created(alice, 'concurrent.mp3', file);
    await stack.upload(alice, plan.id, file.bytes);
    const jobs = await stack.tap<{ assetId: string; id: string }>('jobs.media.merge');
    try {
      const replies = await Promise.all(
        Array.from({ length: 5 }, () =>
          stack.merge(alice, plan.id).then(
            (ok) => ({ ok }),
            (err: { kind: string; message: string }) => ({ refused: err }),
          ),
        ),
      );
      for (const reply of replies) {
        // A call that arrives after the merge finished finds SUBMIT: a conflict, not a second run.
        if ('refused' in reply) {
          expect(reply.refused.kind).toBe('conflict');
          expect(reply.refused.message).toMatch(/is SUBMIT/);
        } else expect(reply.ok.asset.status).toBe('MERGING');
      }
      expect(replies.filter((r) => 'ok' in r).length).toBeGreaterThanOrEqual(1);
      const asset = await stack.settled(alice, plan.id);
      expect(asset.status, asset.reason).toBe('SUBMIT');

      const events = await stack.eventsUntil(plan.id, 3);
      const moves = events.map((e: AssetEvent) => `${e.previous_status}→${e.status}`);
      expect(moves).toEqual(['null→DRAFT', 'DRAFT→MERGING', 'MERGING→SUBMIT']);
      await waitFor('the merge job on the bus', () =>
        jobs.messages.some((m) => m.assetId === plan.id) ? true : undefined,
      );
      expect(jobs.messages.filter((m) => m.assetId === plan.id)).toHaveLength(1);

      // Later merges change nothing.
      expect(await refusal(stack.merge(alice, plan.id))).toEqual({
        kind: 'conflict',
        message: `asset ${plan.id} is SUBMIT; only a DRAFT can be merged`,
      });
      expect(await stack.events(plan.id)).toHaveLength(3);
    } finally {
      jobs.stop();
    }
  });
});
