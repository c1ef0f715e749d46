import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { FsBlockstore } from 'blockstore-fs';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpfsNotFoundError, createHeliaIpfs, createIpfs } from '../src/index.js';
import { collect, piecesOf, pseudoRandomBytes, sameBytes } from './bytes.js';
import { describeIpfsPort } from './ipfs-port.conformance.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('helia');
});
afterAll(async () => {
  await dir?.remove();
});

describeIpfsPort('Helia', async () => createHeliaIpfs({ directory: `${dir.path}/conformance` }));

describe('Helia on disk', () => {
  it('keeps its peer id, content and pins across a restart of the same directory', async () => {
    const directory = `${dir.path}/restart`;
    const bytes = pseudoRandomBytes(600_000, 21);

    const first = await createHeliaIpfs({ directory });
    const peerId = await first.peerId();
    const { cid } = await first.add(piecesOf(bytes, 64_000));
    await first.pin(cid);
    await first.close();

    const second = await createHeliaIpfs({ directory });
    try {
      expect(await second.peerId()).toBe(peerId);
      expect(await second.isPinned(cid)).toBe(true);
      expect(sameBytes((await collect(second.cat(cid))).bytes, bytes)).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('gives different directories different peer ids', async () => {
    const a = await createHeliaIpfs({ directory: `${dir.path}/a` });
    const b = await createHeliaIpfs({ directory: `${dir.path}/b` });
    try {
      expect(await a.peerId()).not.toBe(await b.peerId());
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('createIpfs picks Helia when no API URL is configured', async () => {
    const ipfs = await createIpfs({ directory: `${dir.path}/picked` });
    try {
      const { cid } = await ipfs.add(piecesOf(Uint8Array.of(1, 2, 3), 3));
      expect((await collect(ipfs.cat(cid))).bytes).toEqual(Buffer.from([1, 2, 3]));
    } finally {
      await ipfs.close();
    }
  });

  it('fails pin and cat with IpfsNotFoundError when a block of the file is gone', async () => {
    const directory = `${dir.path}/partial`;
    const chunk = 262_144;
    const bytes = pseudoRandomBytes(chunk * 3, 31);
    const first = await createHeliaIpfs({ directory });
    const { cid } = await first.add(piecesOf(bytes, chunk));
    await first.close();

    const blocks = new FsBlockstore(`${directory}/blocks`);
    await blocks.open();
    const secondLeaf = CID.createV1(
      raw.code,
      await sha256.digest(bytes.subarray(chunk, chunk * 2)),
    );
    expect(await blocks.has(secondLeaf)).toBe(true);
    await blocks.delete(secondLeaf);
    await blocks.close();

    const ipfs = await createHeliaIpfs({ directory });
    try {
      await expect(ipfs.pin(cid)).rejects.toBeInstanceOf(IpfsNotFoundError);
      expect(await ipfs.isPinned(cid)).toBe(false);
      await expect(collect(ipfs.cat(cid))).rejects.toBeInstanceOf(IpfsNotFoundError);
      // The first chunk is still there and readable on its own.
      const head = await collect(ipfs.cat(cid, { length: 1_000 }));
      expect(sameBytes(head.bytes, bytes.subarray(0, 1_000))).toBe(true);
    } finally {
      await ipfs.close();
    }
  });
});
