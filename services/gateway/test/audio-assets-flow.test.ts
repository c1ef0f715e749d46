import { AssetBuckets } from '@media-vault/contracts';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
  waitFor,
  type AssetEvent,
} from './audio-helpers.js';

const run = Date.now().toString(36);
const exec = promisify(execFile);

/** Integrated loudness (LUFS) of `bytes` as ffmpeg's EBU R128 meter reports it. */
const integratedLoudness = async (dir: string, bytes: Buffer): Promise<number> => {
  const path = join(dir, `loudness-${randomBytes(4).toString('hex')}.mp3`);
  await writeFile(path, bytes);
  const { stderr } = await exec('ffmpeg', [
    '-hide_banner',
    '-nostats',
    '-i',
    path,
    '-filter_complex',
    'ebur128',
    '-f',
    'null',
    '-',
  ]);
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const match = /I:\s+(-?[\d.]+) LUFS/.exec(summary);
  if (!match) throw new Error(`no integrated loudness in:\n${summary}`);
  return Number(match[1]);
};

const transitions = (events: AssetEvent[]) =>
  events.map((e) => `${e.previous_status ?? '∅'}→${e.status}`);

describe('audio assets over HTTP: upload, merge, review, download', () => {
  let stack: AudioStack;
  let alice: string;
  let bob: string;
  let reviewer: string;

  beforeAll(async () => {
    stack = await AudioStack.start();
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

    const merging = await stack.merge(alice, plan.id);
    expect(merging.status).toBe(200);
    expect(merging.body.asset.status).toBe('MERGING');

    const asset = await stack.settled(alice, plan.id);
    expect(asset, asset.reason).toMatchObject({
      status: 'SUBMIT',
      merged: true,
      reason: '',
      probe: { formatName: 'mp3', codec: 'mp3', sampleRate: 48_000, channels: 2 },
    });
    expect(asset.probe!.durationMs).toBeGreaterThan(7_800);
    expect(asset.probe!.durationMs).toBeLessThan(8_300);
    expect(asset.probe!.bitrate).toBeGreaterThan(180_000);
    expect(asset.probe!.bitrate).toBeLessThan(200_000);
    const files = [...asset.files].sort((a, b) => a.file - b.file);
    expect(files.map((f) => f.file)).toEqual([0, 1, 2]);
    expect(files[0]).toMatchObject({ size: String(file.bytes.length), sampleRate: 48_000 });
    expect(files[1]).toMatchObject({ bitrate: 320_000, sampleRate: 48_000 });
    expect(files[2]).toMatchObject({ bitrate: 128_000, sampleRate: 44_100 });
    expect(new Set(files.map((f) => f.cid)).size).toBe(3);
    for (const f of files) expect(await stack.isPinned(f.cid), f.cid).toBe(true);

    // The staging chunks are freed once the merge is done.
    expect((await stack.chunks(alice, plan.id)).body.chunks).toEqual([]);
    await waitFor('the chunk objects to be deleted', async () =>
      (await stack.chunkObjects(plan.id)).length === 0 ? true : undefined,
    );
    // So are the merged files on their way to IPFS.
    await waitFor('the transit files to be deleted', async () =>
      (await stack.chunkObjects(plan.id, AssetBuckets.files)).length === 0 ? true : undefined,
    );

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
    expect(await ffprobe(stack.dir, archive.bytes)).toMatchObject({
      formatName: 'mp3',
      codec: 'mp3',
      bitRate: 320_000,
      sampleRate: 48_000,
    });
    // EBU R128 target −23 LUFS; one-pass loudnorm lands within a couple of LU of it.
    expect(Math.abs((await integratedLoudness(stack.dir, archive.bytes)) + 23)).toBeLessThan(2);

    const live = await stack.download(bob, plan.id, 2);
    expect(live.status).toBe(200);
    expect(String(live.bytes.length)).toBe(files[2]!.size);
    expect(await ffprobe(stack.dir, live.bytes)).toMatchObject({
      formatName: 'mp3',
      codec: 'mp3',
      bitRate: 128_000,
      sampleRate: 44_100,
    });

    const events = await stack.eventsUntil(plan.id, 4);
    expect(transitions(events)).toEqual([
      '∅→DRAFT',
      'DRAFT→MERGING',
      'MERGING→SUBMIT',
      'SUBMIT→POST',
    ]);
    expect(events.at(-1)!.record).toMatchObject({
      id: plan.id,
      status: 'POST',
      files: asset.files,
    });
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
