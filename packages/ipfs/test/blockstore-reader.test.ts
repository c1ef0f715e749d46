import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IpfsInvalidCidError,
  IpfsNotFoundError,
  createHeliaIpfs,
  createIpfsReader,
} from '../src/index.js';
import { collect, piecesOf, pseudoRandomBytes, sameBytes } from './bytes.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('blockstore-reader');
});
afterAll(async () => {
  await dir?.remove();
});

describe('reading the embedded node from another process', () => {
  it('reads whole files and ranges while the node that wrote them is running', async () => {
    const directory = `${dir.path}/node`;
    const node = await createHeliaIpfs({ directory });
    const reader = await createIpfsReader({ directory });
    try {
      const bytes = pseudoRandomBytes(1_300_000, 7);
      const { cid } = await node.add(piecesOf(bytes, 100_000));
      expect(sameBytes((await collect(reader.cat(cid))).bytes, bytes)).toBe(true);
      const range = await collect(reader.cat(cid, { offset: 262_000, length: 600_000 }));
      expect(sameBytes(range.bytes, bytes.subarray(262_000, 862_000))).toBe(true);
      expect(await reader.stat(cid)).toEqual({ cid, size: bytes.length });

      // Added after the reader opened: read as soon as the node has it.
      const later = pseudoRandomBytes(5_000, 8);
      const added = await node.add(piecesOf(later, 1_000));
      expect(sameBytes((await collect(reader.cat(added.cid))).bytes, later)).toBe(true);
    } finally {
      await reader.close();
      await node.close();
    }
  });

  it('says not found for content the node lacks, and refuses a malformed CID', async () => {
    const directory = `${dir.path}/lacking`;
    const node = await createHeliaIpfs({ directory });
    const other = await createHeliaIpfs({ directory: `${dir.path}/other` });
    const reader = await createIpfsReader({ directory });
    try {
      const { cid } = await other.add(piecesOf(pseudoRandomBytes(1000, 9), 1000));
      await expect(collect(reader.cat(cid))).rejects.toBeInstanceOf(IpfsNotFoundError);
      await expect(reader.stat(cid)).rejects.toBeInstanceOf(IpfsNotFoundError);
      await expect(collect(reader.cat('not-a-cid'))).rejects.toBeInstanceOf(IpfsInvalidCidError);
    } finally {
      await reader.close();
      await Promise.all([node.close(), other.close()]);
    }
  });

  it('creates nothing where no node has run yet, and answers not found', async () => {
    const directory = `${dir.path}/never-started`;
    const node = await createHeliaIpfs({ directory: `${dir.path}/elsewhere` });
    const { cid } = await node.add(piecesOf(pseudoRandomBytes(100, 10), 100));
    await node.close();
    const reader = await createIpfsReader({ directory });
    try {
      await expect(collect(reader.cat(cid))).rejects.toBeInstanceOf(IpfsNotFoundError);
      expect(existsSync(directory)).toBe(false);
    } finally {
      await reader.close();
    }
  });
});
