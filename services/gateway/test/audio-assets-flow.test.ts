import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { STAGING_KINDS } from '@media-vault/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ASSETS,
  AudioStack,
  expectGrpcError,
  ffprobe,
  Grpc,
  makeMp3,
  REVIEWER,
  sha256,
} from './audio-helpers.js';

const run = Date.now().toString(36);

// Once per staging adapter: chunks, merges and downloads must not depend on where bytes wait.
const title =
  'audio assets over HTTP: the routes of upload, merge, review and download, %s staging';

describe.each(STAGING_KINDS)(title, (staging) => {
  let stack: AudioStack;
  let alice: string;
  let bob: string;
  let reviewer: string;

  beforeAll(async () => {
    stack = await AudioStack.start({ staging });
    alice = await stack.token(`alice-${run}`, [ASSETS]);
    bob = await stack.token(`bob-${run}`, [ASSETS]);
    reviewer = await stack.token(`reviewer-${run}`, [REVIEWER]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('create, chunks by both routes, merge to SUBMIT, resolve to POST, download every file', async () => {
    const file = await makeMp3(stack.dir, { seconds: 8, sampleRate: 48_000, bitrate: '192k' });
    const chunkCount = Math.ceil(file.bytes.length / stack.chunkSize);
    expect(chunkCount).toBeGreaterThanOrEqual(3);

    const plan = await stack.created(alice, 'Morning Tone.mp3', file);
    expect(plan).toMatchObject({
      id: plan.asset.id,
      exists: false,
      chunkSize: stack.chunkSize,
      chunkCount,
      asset: {
        userId: `alice-${run}`,
        name: 'Morning Tone.mp3',
        size: String(file.bytes.length),
        hash: file.hash,
        status: 'DRAFT',
        merged: false,
        files: [],
      },
    });

    // Even chunks as base64 JSON, odd ones as raw bodies; the last one without a claimed hash.
    for (let index = 0; index < chunkCount; index++) {
      const piece = stack.piece(file.bytes, index);
      const claimed = index === chunkCount - 1 ? undefined : sha256(piece);
      const res =
        index % 2 === 0
          ? await stack.chunkJson(alice, plan.id, index, piece, claimed)
          : await stack.chunkFile(alice, plan.id, index, piece, claimed);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({
        index,
        size: String(piece.length),
        hash: sha256(piece),
        duplicate: false,
      });
    }
    expect((await stack.chunkObjects(plan.id)).length).toBe(chunkCount);
    // The run is on the adapter it names: only fs staging makes the shared directory.
    expect(existsSync(join(stack.dir, 'staging')), staging).toBe(staging === 'fs');

    const merging = await stack.merge(alice, plan.id);
    expect(merging.status).toBe(200);
    expect(merging.body.asset.status).toBe('MERGING');

    // What the merge makes (probe, renditions, pins, freed staging, events) is tested in
    // services/assets/test/merge-flow.pipeline.test.ts; here, that the routes serve it.
    const asset = await stack.settled(alice, plan.id);
    expect(asset, asset.reason).toMatchObject({ status: 'SUBMIT', merged: true });
    const files = [...asset.files].sort((a, b) => a.file - b.file);
    expect(files.map((f) => f.file)).toEqual([0, 1, 2]);

    const resolved = await stack.review(reviewer, 'resolve', plan.id);
    expect(resolved.status).toBe(200);
    expect(resolved.body.asset.status).toBe('POST');

    const original = await stack.download(bob, plan.id, 0);
    expect(original.status).toBe(200);
    expect(original.headers.get('content-type')).toBe('audio/mpeg');
    expect(original.bytes.length).toBe(file.bytes.length);
    expect(sha256(original.bytes)).toBe(file.hash);

    const archive = await stack.download(bob, plan.id, 1);
    expect(archive.status).toBe(200);
    expect(String(archive.bytes.length)).toBe(files[1]!.size);
    expect((await ffprobe(stack.dir, archive.bytes)).bitRate).toBe(320_000);

    const live = await stack.download(bob, plan.id, 2);
    expect(live.status).toBe(200);
    expect(String(live.bytes.length)).toBe(files[2]!.size);
    expect((await ffprobe(stack.dir, live.bytes)).bitRate).toBe(128_000);
  });

  // Resume, Submit, de-duplication, unpinning and failed merges are rules of the assets service,
  // tested there with the pipeline (services/assets/test/merge-flow.pipeline.test.ts); here, how
  // their refusals map onto the Merge and Submit routes.
  it('Merge of an incomplete upload is 400 naming the missing chunks; Submit of an unmerged DRAFT is 409', async () => {
    const bytes = randomBytes(3 * stack.chunkSize);
    const plan = await stack.create(alice, {
      name: 'partial.mp3',
      size: bytes.length,
      hash: sha256(bytes),
    });
    expect(plan.status).toBe(200);
    await stack.upload(alice, plan.body.id, bytes, { indexes: [1] });
    const early = await stack.merge(alice, plan.body.id);
    expect(early.status).toBe(400);
    expect(early.body).toMatchObject({
      code: 3,
      message: `asset ${plan.body.id} is missing chunks 0, 2`,
    });
    const submitted = await stack.http('POST', `/api/v1/assets/audio/submit/${plan.body.id}`, {
      token: alice,
    });
    expectGrpcError(submitted, 409, Grpc.aborted, /only a merged DRAFT can be submitted/);
  });
});
