import {
  AssetBuckets,
  AudioAssetCommandSubjects as S,
  chunkObjectKey,
  type Principal,
} from '@media-vault/contracts';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ASSETS,
  ffprobe,
  integratedLoudness,
  makeMp3,
  makeWav,
  person,
  PipelineStack,
  refusal,
  REVIEWER,
  sha256,
  waitFor,
  type AssetEvent,
  type MediaFile,
} from './pipeline-stack.js';

/**
 * Resumed uploads, Merge and Submit, de-duplication, CID garbage collection and failed merges,
 * with the real merge pipeline (media worker, ipfs worker, Kubo) behind the service. The
 * commands are those the gateway sends; it maps their error kinds to HTTP statuses one to one
 * (badRequest 400, notFound 404, conflict 409).
 */

const transitions = (events: AssetEvent[]) =>
  events.map((e) => `${e.previous_status ?? '∅'}→${e.status}`);

describe('audio assets with the merge pipeline: resume, merge, dedupe, unpin, failures', () => {
  let stack: PipelineStack;
  const alice = person('alice', [ASSETS]);
  const bob = person('bob', [ASSETS]);
  const reviewer = person('reviewer', [REVIEWER]);

  beforeAll(async () => {
    stack = await PipelineStack.start();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('merges to SUBMIT with a probe and three pinned renditions, frees staging, resolves to POST', async () => {
    const file = await makeMp3(stack.dir, { seconds: 8, sampleRate: 48_000, bitrate: '192k' });
    const chunkCount = Math.ceil(file.bytes.length / stack.chunkSize);
    expect(chunkCount).toBeGreaterThanOrEqual(3);
    const plan = await stack.created(alice, 'Morning Tone.mp3', file);
    const replies = await stack.upload(alice, plan.id, file.bytes);
    expect(replies).toEqual(
      [...Array(chunkCount).keys()].map((index) => {
        const piece = stack.piece(file.bytes, index);
        return { index, size: String(piece.length), hash: sha256(piece), duplicate: false };
      }),
    );
    expect((await stack.chunkObjects(plan.id)).length).toBe(chunkCount);

    expect((await stack.merge(alice, plan.id)).asset.status).toBe('MERGING');
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
    expect((await stack.command(alice, S.assetChunks, { id: plan.id })).chunks).toEqual([]);
    await waitFor('the chunk objects to be deleted', async () =>
      (await stack.chunkObjects(plan.id)).length === 0 ? true : undefined,
    );
    // So are the merged files on their way to IPFS.
    await waitFor('the transit files to be deleted', async () =>
      (await stack.chunkObjects(plan.id, AssetBuckets.files)).length === 0 ? true : undefined,
    );

    expect((await stack.command(reviewer, S.assetResolve, { id: plan.id })).asset.status).toBe(
      'POST',
    );
    const target = await stack.command(bob, S.assetDownload, { id: plan.id, file: 0 });
    expect(target).toEqual({
      cid: files[0]!.cid,
      size: file.bytes.length,
      fileName: 'Morning Tone.mp3',
      contentType: 'audio/mpeg',
    });
    expect(sha256(await stack.download(bob, plan.id, 0))).toBe(file.hash);

    const archive = await stack.download(bob, plan.id, 1);
    expect(String(archive.length)).toBe(files[1]!.size);
    expect(await ffprobe(stack.dir, archive)).toMatchObject({
      formatName: 'mp3',
      codec: 'mp3',
      bitRate: 320_000,
      sampleRate: 48_000,
    });
    // EBU R128 target −23 LUFS; one-pass loudnorm lands within a couple of LU of it.
    expect(Math.abs((await integratedLoudness(stack.dir, archive)) + 23)).toBeLessThan(2);

    const live = await stack.download(bob, plan.id, 2);
    expect(String(live.length)).toBe(files[2]!.size);
    expect(await ffprobe(stack.dir, live)).toMatchObject({
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

    expect(await stack.command(alice, S.assetChunks, { id: plan.id })).toEqual({
      id: plan.id,
      chunkSize: stack.chunkSize,
      chunkCount: plan.chunkCount,
      chunks: [],
    });

    await stack.upload(alice, plan.id, file.bytes, first);
    const partial = await stack.command(alice, S.assetChunks, { id: plan.id });
    expect(partial.chunks).toEqual(
      first.map((index) => {
        const piece = stack.piece(file.bytes, index);
        return { index, size: String(piece.length), hash: sha256(piece) };
      }),
    );
    // Merging now names what is missing and changes nothing.
    const early = await refusal(stack.merge(alice, plan.id));
    expect(early).toMatchObject({
      kind: 'badRequest',
      message: `asset ${plan.id} is missing chunks ${rest.join(', ')}`,
    });

    await stack.upload(alice, plan.id, file.bytes, rest);
    const full = await stack.command(alice, S.assetChunks, { id: plan.id });
    expect(full.chunks.map((c) => c.index)).toEqual(all);

    await stack.merge(alice, plan.id);
    const asset = await stack.settled(alice, plan.id);
    expect(asset.status, asset.reason).toBe('SUBMIT');
    expect(sha256(await stack.download(alice, plan.id, 0))).toBe(file.hash);
  });

  it('merge with submit=false keeps a merged DRAFT until Submit', async () => {
    const file = await makeMp3(stack.dir, { seconds: 3 });
    const merged = await stack.ingest(alice, 'later.mp3', file, { submit: false });
    expect(merged).toMatchObject({ status: 'DRAFT', merged: true, reason: '' });
    expect(merged.files).toHaveLength(3);
    const drafts = await stack.command(alice, S.assetListDrafts, { uid: alice.id });
    expect(drafts.items.find((a) => a.id === merged.id)).toMatchObject({ merged: true });
    // Merging again is refused: the bytes are in, only Submit is left.
    expect((await refusal(stack.merge(alice, merged.id))).kind).toBe('conflict');

    const submitted = await stack.command(alice, S.assetSubmit, { id: merged.id });
    expect(submitted.asset.status).toBe('SUBMIT');
    const again = await refusal(stack.command(alice, S.assetSubmit, { id: merged.id }));
    expect(again.kind).toBe('conflict');
    expect(transitions(await stack.eventsUntil(merged.id, 4))).toEqual([
      '∅→DRAFT',
      'DRAFT→MERGING',
      'MERGING→DRAFT',
      'DRAFT→SUBMIT',
    ]);
  });

  it('dedupes only the caller’s own bytes: same user instantly, another user after uploading them', async () => {
    const carol = person('carol', [ASSETS]);
    const dave = person('dave', [ASSETS]);
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
        userId: carol.id,
        name: 'carol again.mp3',
        status: 'SUBMIT',
        merged: true,
        hash: file.hash,
        probe: original.probe,
        files: original.files,
      },
    });
    expect(copy.id).not.toBe(original.id);
    expect((await stack.command(carol, S.assetChunks, { id: copy.id })).chunks).toEqual([]);
    expect(transitions(await stack.eventsUntil(copy.id, 1))).toEqual(['∅→SUBMIT']);
    expect(sha256(await stack.download(carol, copy.id, 0))).toBe(file.hash);
    // A different size under her own hash is refused.
    const lying = await refusal(
      stack.create(carol, { name: 'x.mp3', size: file.bytes.length + 1, hash: file.hash }),
    );
    expect(lying.kind).toBe('badRequest');
    expect(lying.message).toMatch(/your asset with this hash has/);

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
    expect(shape(claim)).toEqual(shape(unknown));
    expect(claim).toMatchObject({
      exists: false,
      chunkSize: stack.chunkSize,
      chunkCount: Math.ceil(file.bytes.length / stack.chunkSize),
      asset: { status: 'DRAFT', merged: false, probe: null, files: [] },
    });
    for (const kind of [0, 1, 2] as const) {
      const refused = await refusal(stack.download(dave, claim.id, kind));
      expect(refused.kind).toBe('notFound');
      expect(refused.message).toMatch(
        `audio asset ${claim.id} has no file=${kind} yet; it is DRAFT`,
      );
    }
    for (const id of [original.id, copy.id]) {
      const refused = await refusal(stack.download(dave, id, 0));
      expect(refused.kind).toBe('notFound');
      expect(refused.message).toMatch(`audio asset ${id} not found`);
    }
    // Nor does a wrong size tell him that a file of another size exists.
    const guess = await stack.create(dave, {
      name: 'x.mp3',
      size: file.bytes.length + 1,
      hash: file.hash,
    });
    expect(guess).toMatchObject({ exists: false, asset: { status: 'DRAFT' } });

    // Dave uploads the bytes: the merge checks them against the hash, and the files stored for
    // Carol serve his asset too (IPFS holds the original once; her renditions are taken).
    await stack.upload(dave, claim.id, file.bytes);
    await stack.merge(dave, claim.id);
    const daves = await stack.settled(dave, claim.id);
    expect(daves).toMatchObject({ status: 'SUBMIT', merged: true, files: original.files });
    expect(sha256(await stack.download(dave, claim.id, 0))).toBe(file.hash);

    const unpins = await stack.tap<{ cids: string[] }>('jobs.ipfs.unpin');
    try {
      // Carol's original is rejected and she deletes it: the other two still need every CID.
      await stack.command(reviewer, S.assetReject, {
        id: original.id,
        reason: 'duplicate upload',
      });
      expect(await stack.command(carol, S.assetDeleteReject, { id: original.id })).toEqual({});
      expect(transitions(await stack.eventsUntil(original.id, 5)).at(-1)).toBe('REJECT→DELETE');
      for (const cid of cids) expect(await stack.isPinned(cid), cid).toBe(true);

      // Both remaining assets are published and deleted: now nothing references the files.
      for (const id of [copy.id, claim.id]) {
        await stack.command(reviewer, S.assetResolve, { id });
        const gone = await stack.command(reviewer, S.assetDelete, { id });
        expect(gone).toMatchObject({ asset: { status: 'DELETE' } });
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
    await stack.untilUnpinned(cids);
  });

  describe('objects stored for a chunk and never recorded (a gateway killed before the commit)', () => {
    /** What a gateway killed between storing chunk `index` and committing it leaves behind. */
    const strand = async (id: string, index: number, piece: Buffer) => {
      const key = chunkObjectKey(id, index, randomUUID());
      const store = await stack.bucket(AssetBuckets.chunks);
      await store.put(
        key,
        (async function* () {
          yield new Uint8Array(piece);
        })(),
      );
      return key;
    };
    const noObjectsOf = (id: string) =>
      waitFor(`every staged object of asset ${id} to be deleted`, async () =>
        (await stack.chunkObjects(id)).length === 0 ? true : undefined,
      );

    it('are deleted with the recorded ones once the merge is done', async () => {
      const file = await makeMp3(stack.dir, { seconds: 3 });
      const plan = await stack.created(alice, 'stranded.mp3', file);
      // The first attempt at chunk 1 was cut off; the client's retry stored it under a new key.
      const stranded = await strand(plan.id, 1, stack.piece(file.bytes, 1));
      await stack.upload(alice, plan.id, file.bytes);
      expect(await stack.chunkObjects(plan.id)).toContain(stranded);
      await stack.merge(alice, plan.id);
      expect(await stack.settled(alice, plan.id)).toMatchObject({ status: 'SUBMIT' });
      await noObjectsOf(plan.id);
    });

    it('are deleted with the draft', async () => {
      const bytes = randomBytes(stack.chunkSize + 10);
      const { id } = await stack.create(alice, {
        name: 'dropped.mp3',
        size: bytes.length,
        hash: sha256(bytes),
      });
      await stack.upload(alice, id, bytes, [0]);
      await strand(id, 1, stack.piece(bytes, 1));
      expect(await stack.command(alice, S.assetDeleteDraft, { id })).toEqual({});
      await noObjectsOf(id);
    });

    it('stay while the asset takes chunks: after a failed merge, it may be an upload on its way', async () => {
      const bytes = randomBytes(stack.chunkSize + 1000);
      const { id } = await stack.create(alice, {
        name: 'retry.mp3',
        size: bytes.length,
        hash: sha256(bytes),
      });
      await stack.upload(alice, id, bytes);
      const recorded = await stack.chunkObjects(id);
      await stack.merge(alice, id);
      // Stored while the merge ran, its commit not yet answered.
      const inFlight = await strand(id, 0, stack.piece(bytes, 0));
      expect(await stack.settled(alice, id)).toMatchObject({ status: 'DRAFT', merged: false });
      await waitFor('the recorded chunks to be deleted', async () => {
        const left = await stack.chunkObjects(id);
        return left.some((k) => recorded.includes(k)) ? undefined : left;
      }).then((left) => expect(left).toEqual([inFlight]));
    });
  });

  it('unpins the files in Kubo once the last asset referencing them is deleted', async () => {
    const erin = person('erin', [ASSETS]);
    const asset = await stack.ingest(erin, 'erin.mp3', await makeMp3(stack.dir, { seconds: 3 }));
    await stack.command(reviewer, S.assetReject, { id: asset.id, reason: 'not needed' });
    expect(await stack.command(erin, S.assetDeleteReject, { id: asset.id })).toEqual({});
    await stack.untilUnpinned(asset.files.map((f) => f.cid));
  });

  describe('a merge that fails goes back to DRAFT with the reason and frees the chunks', () => {
    const failing = async (
      p: Principal,
      name: string,
      declared: { size: number; hash: string },
      bytes: Buffer,
    ) => {
      const { id } = await stack.create(p, { name, ...declared });
      await stack.upload(p, id, bytes);
      await stack.merge(p, id);
      const asset = await stack.settled(p, id);
      expect(asset).toMatchObject({ status: 'DRAFT', merged: false, files: [], probe: null });
      expect((await stack.command(p, S.assetChunks, { id })).chunks).toEqual([]);
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
      await stack.merge(bob, asset.id);
      const merged = await stack.settled(bob, asset.id);
      expect(merged).toMatchObject({ status: 'SUBMIT', reason: '' });
    });
  });
});
