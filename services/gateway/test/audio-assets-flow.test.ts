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
  makeWav,
  REVIEWER,
  sha256,
  waitFor,
  type AssetEvent,
  type MediaFile,
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

  it('resumes an upload: Chunks lists exactly the stored chunks with their hashes', async () => {
    const file = await makeMp3(stack.dir, { seconds: 7 });
    const plan = await stack.created(alice, 'resumed.mp3', file);
    expect(plan.chunkCount).toBeGreaterThanOrEqual(3);
    const all = [...Array(plan.chunkCount).keys()];
    const first = all.filter((i) => i % 2 === 0);
    const rest = all.filter((i) => i % 2 === 1);

    const empty = await stack.chunks(alice, plan.id);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({
      id: plan.id,
      chunkSize: stack.chunkSize,
      chunkCount: plan.chunkCount,
      chunks: [],
    });

    await stack.upload(alice, plan.id, file.bytes, { indexes: first, via: 'file' });
    const partial = await stack.chunks(alice, plan.id);
    expect(partial.body.chunks).toEqual(
      first.map((index) => {
        const piece = stack.piece(file.bytes, index);
        return { index, size: String(piece.length), hash: sha256(piece) };
      }),
    );
    // Merging now names what is missing and changes nothing.
    const early = await stack.merge(alice, plan.id);
    expect(early.status).toBe(400);
    expect(early.body).toMatchObject({
      code: 3,
      message: `asset ${plan.id} is missing chunks ${rest.join(', ')}`,
    });

    await stack.upload(alice, plan.id, file.bytes, { indexes: rest, via: 'json' });
    const full = await stack.chunks(alice, plan.id);
    expect(full.body.chunks.map((c) => c.index)).toEqual(all);

    expect((await stack.merge(alice, plan.id)).status).toBe(200);
    const asset = await stack.settled(alice, plan.id);
    expect(asset.status, asset.reason).toBe('SUBMIT');
    const original = await stack.download(alice, plan.id, 0);
    expect(sha256(original.bytes)).toBe(file.hash);
  });

  it('merge with submit=false keeps a merged DRAFT until Submit', async () => {
    const file = await makeMp3(stack.dir, { seconds: 3 });
    const merged = await stack.ingest(alice, 'later.mp3', file, { submit: false });
    expect(merged).toMatchObject({ status: 'DRAFT', merged: true, reason: '' });
    expect(merged.files).toHaveLength(3);
    const drafts = await stack.http<{ items: { id: string; merged: boolean }[] }>(
      'GET',
      `/api/v1/assets/audio/drafts/alice-${run}`,
      { token: alice },
    );
    expect(drafts.body.items.find((a) => a.id === merged.id)).toMatchObject({ merged: true });
    // Merging again is refused: the bytes are in, only Submit is left.
    expect((await stack.merge(alice, merged.id)).status).toBe(409);

    const submitted = await stack.http<{ asset: { status: string } }>(
      'POST',
      `/api/v1/assets/audio/submit/${merged.id}`,
      { token: alice },
    );
    expect(submitted.status).toBe(200);
    expect(submitted.body.asset.status).toBe('SUBMIT');
    const again = await stack.http('POST', `/api/v1/assets/audio/submit/${merged.id}`, {
      token: alice,
    });
    expect(again.status).toBe(409);
    expect(transitions(await stack.eventsUntil(merged.id, 4))).toEqual([
      '∅→DRAFT',
      'DRAFT→MERGING',
      'MERGING→DRAFT',
      'DRAFT→SUBMIT',
    ]);
  });

  it('dedupes only the caller’s own bytes: same user instantly, another user after uploading them', async () => {
    const carol = await stack.token(`carol-${run}`, [ASSETS]);
    const dave = await stack.token(`dave-${run}`, [ASSETS]);
    const file = await makeMp3(stack.dir, { seconds: 5 });
    const original = await stack.ingest(carol, 'carol.mp3', file);
    const cids = original.files.map((f) => f.cid);

    // Carol sends the same file again: her own copy, straight in SUBMIT, nothing to upload.
    const copy = await stack.created(carol, 'carol again.mp3', file);
    expect(copy).toMatchObject({
      exists: true,
      chunkSize: original.chunkSize,
      chunkCount: original.chunkCount,
      asset: {
        userId: `carol-${run}`,
        name: 'carol again.mp3',
        status: 'SUBMIT',
        merged: true,
        hash: file.hash,
        probe: original.probe,
        files: original.files,
      },
    });
    expect(copy.id).not.toBe(original.id);
    expect((await stack.chunks(carol, copy.id)).body.chunks).toEqual([]);
    expect(transitions(await stack.eventsUntil(copy.id, 1))).toEqual(['∅→SUBMIT']);
    expect(sha256((await stack.download(carol, copy.id, 0)).bytes)).toBe(file.hash);
    // A different size under her own hash is refused.
    const lying = await stack.create(carol, {
      name: 'x.mp3',
      size: file.bytes.length + 1,
      hash: file.hash,
    });
    expectGrpcError(lying, 400, Grpc.invalidArgument, /your asset with this hash has/);

    // Dave knows the size and hash (listings and events show both) but not the bytes: he gets the
    // same plan as for a file nobody has, and no bytes.
    const claim = await stack.created(dave, 'dave.mp3', file);
    const unknown = await stack.create(dave, {
      name: 'dave.mp3',
      size: file.bytes.length,
      hash: sha256(randomBytes(32)),
    });
    const shape = (r: typeof claim) => ({
      ...r,
      id: '',
      asset: { ...r.asset, id: '', hash: '', createdAt: '', updatedAt: '' },
    });
    expect(shape(claim)).toEqual(shape(unknown.body as typeof claim));
    expect(claim).toMatchObject({
      exists: false,
      chunkSize: stack.chunkSize,
      chunkCount: Math.ceil(file.bytes.length / stack.chunkSize),
      asset: { status: 'DRAFT', merged: false, probe: null, files: [] },
    });
    for (const kind of [0, 1, 2] as const) {
      const res = await stack.download(dave, claim.id, kind);
      expectGrpcError(
        res,
        404,
        Grpc.notFound,
        `audio asset ${claim.id} has no file=${kind} yet; it is DRAFT`,
      );
    }
    for (const id of [original.id, copy.id]) {
      expectGrpcError(
        await stack.download(dave, id, 0),
        404,
        Grpc.notFound,
        `audio asset ${id} not found`,
      );
    }
    // Nor does a wrong size tell him that a file of another size exists.
    const guess = await stack.create(dave, {
      name: 'x.mp3',
      size: file.bytes.length + 1,
      hash: file.hash,
    });
    expect(guess.status).toBe(200);
    expect(guess.body).toMatchObject({ exists: false, asset: { status: 'DRAFT' } });

    // Dave uploads the bytes: the merge checks them against the hash, and the files stored for
    // Carol serve his asset too (IPFS holds the original once; her renditions are taken).
    await stack.upload(dave, claim.id, file.bytes);
    expect((await stack.merge(dave, claim.id)).status).toBe(200);
    const daves = await stack.settled(dave, claim.id);
    expect(daves).toMatchObject({ status: 'SUBMIT', merged: true, files: original.files });
    expect(sha256((await stack.download(dave, claim.id, 0)).bytes)).toBe(file.hash);

    const unpins = await stack.tap<{ cids: string[] }>('jobs.ipfs.unpin');
    try {
      // Carol's original is rejected and she deletes it: the other two still need every CID.
      expect((await stack.reject(reviewer, original.id, 'duplicate upload')).status).toBe(200);
      const deleted = await stack.http('DELETE', `/api/v1/assets/audio/reject/${original.id}`, {
        token: carol,
      });
      expect(deleted.status).toBe(200);
      expect(transitions(await stack.eventsUntil(original.id, 5)).at(-1)).toBe('REJECT→DELETE');
      for (const cid of cids) expect(await stack.isPinned(cid), cid).toBe(true);

      // Both remaining assets are published and deleted: now nothing references the files.
      for (const id of [copy.id, claim.id]) {
        expect((await stack.review(reviewer, 'resolve', id)).status).toBe(200);
        const gone = await stack.http('DELETE', `/api/v1/assets/audio/${id}`, {
          token: reviewer,
        });
        expect(gone.status).toBe(200);
        expect(gone.body).toMatchObject({ asset: { status: 'DELETE' } });
      }
      // The relay publishes in commit order, so the unpin job of the last delete arriving means
      // any unpin of an earlier delete would already be here.
      await waitFor('the unpin job of the last reference', () =>
        unpins.messages.some((m) => m.cids.includes(cids[0]!)) ? true : undefined,
      );
      const naming = unpins.messages.filter((m) => m.cids.some((c) => cids.includes(c)));
      expect(naming).toHaveLength(1);
      expect([...naming[0]!.cids].sort()).toEqual([...cids].sort());
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
  });

  it('unpins the files in Kubo once the last asset referencing them is deleted', async () => {
    const erin = await stack.token(`erin-${run}`, [ASSETS]);
    const asset = await stack.ingest(erin, 'erin.mp3', await makeMp3(stack.dir, { seconds: 3 }));
    expect((await stack.reject(reviewer, asset.id, 'not needed')).status).toBe(200);
    const deleted = await stack.http('DELETE', `/api/v1/assets/audio/reject/${asset.id}`, {
      token: erin,
    });
    expect(deleted.status).toBe(200);
    await waitFor(
      'the files to be unpinned',
      async () => {
        for (const f of asset.files) if (await stack.isPinned(f.cid)) return undefined;
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  });

  describe('a merge that fails goes back to DRAFT with the reason and frees the chunks', () => {
    const failing = async (
      token: string,
      name: string,
      declared: { size: number; hash: string },
      bytes: Buffer,
    ) => {
      const res = await stack.create(token, { name, ...declared });
      expect(res.status).toBe(200);
      const id = res.body.id;
      await stack.upload(token, id, bytes);
      expect((await stack.merge(token, id)).status).toBe(200);
      const asset = await stack.settled(token, id);
      expect(asset).toMatchObject({ status: 'DRAFT', merged: false, files: [], probe: null });
      expect((await stack.chunks(token, id)).body.chunks).toEqual([]);
      await waitFor('the chunk objects to be deleted', async () =>
        (await stack.chunkObjects(id)).length === 0 ? true : undefined,
      );
      const events = await stack.eventsUntil(id, 3);
      expect(transitions(events)).toEqual(['∅→DRAFT', 'DRAFT→MERGING', 'MERGING→DRAFT']);
      expect(events[2]!.record.reason).toBe(asset.reason);
      return asset;
    };

    it('a WAV file named .mp3', async () => {
      const wav = await makeWav(stack.dir, 1);
      const asset = await failing(
        alice,
        'not-really.mp3',
        { size: wav.bytes.length, hash: wav.hash },
        wav.bytes,
      );
      expect(asset.reason).toMatch(/^merge failed: not an mp3/);
      expect(asset.reason).toMatch(/wav/i);
    });

    it('random bytes', async () => {
      const bytes = randomBytes(stack.chunkSize + 1000);
      const asset = await failing(
        alice,
        'noise.mp3',
        { size: bytes.length, hash: sha256(bytes) },
        bytes,
      );
      expect(asset.reason).toMatch(/^merge failed: not an mp3/);
    });

    it('bytes that do not match the declared hash; the right bytes then merge', async () => {
      const wanted: MediaFile = await makeMp3(stack.dir, { seconds: 3 });
      const other = Buffer.from(wanted.bytes);
      other.writeUInt8(other.readUInt8(other.length - 1) ^ 0xff, other.length - 1);
      const asset = await failing(
        bob,
        'hash.mp3',
        { size: wanted.bytes.length, hash: wanted.hash },
        other,
      );
      expect(asset.reason).toMatch(/^merge failed: hash mismatch/);
      expect(asset.reason).toContain(wanted.hash);

      // The reason tells the user to upload again; doing so with the right bytes succeeds.
      await stack.upload(bob, asset.id, wanted.bytes);
      expect((await stack.merge(bob, asset.id)).status).toBe(200);
      const merged = await stack.settled(bob, asset.id);
      expect(merged).toMatchObject({ status: 'SUBMIT', reason: '' });
    });
  });
});
