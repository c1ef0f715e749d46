import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSETS, AudioStack, makeMp3, REVIEWER, type MediaFile } from './audio-helpers.js';

const run = Date.now().toString(36);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The default install: no Kubo anywhere. The ipfs-worker adds the merged files to its embedded
 * Helia node, and the gateway serves every file of the asset from that node's blockstore.
 */
describe('audio downloads with the embedded IPFS node (no IPFS_API_URL)', () => {
  let stack: AudioStack;
  let listener: string;
  let file: MediaFile;
  let id: string;
  let sizes: Map<number, number>;

  beforeAll(async () => {
    stack = await AudioStack.start({ embeddedIpfs: true });
    const alice = await stack.token(`alice-${run}`, [ASSETS]);
    listener = await stack.token(`listener-${run}`);
    file = await makeMp3(stack.dir, { seconds: 4 });
    const asset = await stack.ingest(alice, 'embedded.mp3', file);
    id = asset.id;
    sizes = new Map(asset.files.map((f) => [f.file, Number(f.size)]));
    const resolved = await stack.review(await stack.token(`rev-${run}`, [REVIEWER]), 'resolve', id);
    expect(resolved.status).toBe(200);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves the original byte for byte, and both renditions whole', async () => {
    const original = await stack.download(listener, id, 0);
    expect(original.status).toBe(200);
    expect(sha256(original.bytes)).toBe(file.hash);
    for (const kind of [1, 2] as const) {
      const res = await stack.download(listener, id, kind);
      expect(res.status, `file=${kind}`).toBe(200);
      const body = res.bytes;
      expect(body.length).toBe(sizes.get(kind));
      expect(res.headers.get('content-length')).toBe(String(sizes.get(kind)));
      // An mp3: an ID3 tag or an MPEG frame sync at the start.
      expect(body[0] === 0x49 || (body[0] === 0xff && (body[1]! & 0xe0) === 0xe0)).toBe(true);
    }
  });

  it('serves a byte range of the live rendition', async () => {
    const whole = (await stack.download(listener, id, 2)).bytes;
    const res = await stack.download(listener, id, 2, { range: 'bytes=1000-1999' });
    expect(res.status).toBe(206);
    expect(res.bytes).toEqual(whole.subarray(1000, 2000));
  });
});
