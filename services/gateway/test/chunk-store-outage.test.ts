import { startS3, type StartedS3 } from '@media-vault/test-harness';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSETS, AudioStack, expectGrpcError, sha256, type ChunksReply } from './audio-helpers.js';

const UNAVAILABLE = 14;

// The staging store's own server, so that stopping it touches no other test's stack.
describe('chunk uploads while the staging store is down', () => {
  let s3: StartedS3;
  let stack: AudioStack;

  beforeAll(async () => {
    s3 = await startS3({ label: 'seaweedfs (chunk store outage)' });
    stack = await AudioStack.start({ staging: 's3', s3, workers: false });
  });
  afterAll(async () => {
    await stack?.stop();
    await s3?.stop();
  });

  it('answer 503 naming the store, and record nothing', async () => {
    const alice = await stack.token('alice-outage', [ASSETS]);
    const bytes = randomBytes(2 * stack.chunkSize);
    const plan = await stack.create(alice, {
      name: 'outage.mp3',
      size: bytes.length,
      hash: sha256(bytes),
    });
    expect(plan.status).toBe(200);
    const id = plan.body.id;
    const first = stack.piece(bytes, 0);
    expect((await stack.chunkFile(alice, id, 0, first, sha256(first))).status).toBe(200);

    await s3.stop();
    const second = stack.piece(bytes, 1);
    for (const hash of [sha256(second), undefined]) {
      const reply = await stack.chunkFile(alice, id, 1, second, hash);
      expectGrpcError(reply, 503, UNAVAILABLE, /^the chunk store is unreachable; try again/);
    }
    const json = await stack.chunkJson(alice, id, 1, second, sha256(second));
    expectGrpcError(json, 503, UNAVAILABLE, /^the chunk store is unreachable/);

    const chunks = (await stack.chunks(alice, id)).body as ChunksReply;
    expect(chunks.chunks.map((c) => c.index)).toEqual([0]);
  });
});
