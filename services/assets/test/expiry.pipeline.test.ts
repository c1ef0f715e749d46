import { AudioAssetCommandSubjects as S } from '@media-vault/contracts';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSETS, person, PipelineStack, refusal, sha256, waitFor } from './pipeline-stack.js';

/** 0.002 h is 7.2 s: long enough to upload a chunk, short enough to watch the draft go. */
const TTL_HOURS = 0.002;

describe('abandoned drafts expire and free their chunks', () => {
  let stack: PipelineStack;
  const owner = person('owner', [ASSETS]);

  beforeAll(async () => {
    // No workers: expiry is the assets service's own sweep.
    stack = await PipelineStack.start({
      workers: false,
      assetsEnv: { DRAFT_TTL_HOURS: String(TTL_HOURS), DRAFT_SWEEP_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a draft nobody touches for the TTL is deleted with a DELETE event and its chunks freed', async () => {
    const bytes = randomBytes(2 * stack.chunkSize);
    const created = Date.now();
    const plan = await stack.create(owner, {
      name: 'left.mp3',
      size: bytes.length,
      hash: sha256(bytes),
    });
    const id = plan.id;
    await stack.upload(owner, id, bytes, [0]);
    expect(await stack.chunkObjects(id)).toHaveLength(1);

    const events = await stack.eventsUntil(id, 2, 90_000);
    expect(events.map((e) => `${e.previous_status}→${e.status}`)).toEqual([
      'null→DRAFT',
      'DRAFT→DELETE',
    ]);
    // Not before the TTL counted from the last chunk.
    expect(Date.parse(events[1]!.at) - created).toBeGreaterThanOrEqual(TTL_HOURS * 3_600_000);

    await waitFor('the chunk objects to be deleted', async () =>
      (await stack.chunkObjects(id)).length === 0 ? true : undefined,
    );
    expect((await refusal(stack.get(owner, id))).kind).toBe('notFound');
    expect((await refusal(stack.command(owner, S.assetChunks, { id }))).kind).toBe('notFound');
    const drafts = await stack.command(owner, S.assetListDrafts, { uid: owner.id });
    expect(drafts.items.map((a) => a.id)).not.toContain(id);
  });
});
