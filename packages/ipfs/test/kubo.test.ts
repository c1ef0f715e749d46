import { create } from 'kubo-rpc-client';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { describe, expect, inject, it } from 'vitest';
import { IpfsNotFoundError, createIpfs, createKuboIpfs } from '../src/index.js';
import { collect, piecesOf, pseudoRandomBytes, sameBytes } from './bytes.js';
import { describeIpfsPort } from './ipfs-port.conformance.js';

const kuboApiUrl = (): string => {
  const url = inject('servers').kuboApiUrl;
  if (!url) throw new Error('the global set-up did not start Kubo');
  return url;
};

describeIpfsPort('Kubo', async () => createKuboIpfs({ url: kuboApiUrl() }));

describe('Kubo adapter', () => {
  it('createIpfs picks Kubo when an API URL is configured', async () => {
    const ipfs = await createIpfs({ apiUrl: kuboApiUrl(), directory: '/nonexistent' });
    const { id } = await create({ url: kuboApiUrl() }).id();
    expect(await ipfs.peerId()).toBe(id.toString());
    await ipfs.close();
  });

  it('fails pin and cat with IpfsNotFoundError when a block of the file is gone', async () => {
    const ipfs = createKuboIpfs({ url: kuboApiUrl() });
    const chunk = 262_144;
    const bytes = pseudoRandomBytes(chunk * 3, 41);
    const { cid } = await ipfs.add(piecesOf(bytes, chunk));
    const secondLeaf = CID.createV1(
      raw.code,
      await sha256.digest(bytes.subarray(chunk, chunk * 2)),
    );
    for await (const removed of create({ url: kuboApiUrl() }).block.rm(secondLeaf)) {
      expect(removed.error).toBeUndefined();
    }

    await expect(ipfs.pin(cid)).rejects.toBeInstanceOf(IpfsNotFoundError);
    expect(await ipfs.isPinned(cid)).toBe(false);
    await expect(collect(ipfs.cat(cid))).rejects.toBeInstanceOf(IpfsNotFoundError);
    const head = await collect(ipfs.cat(cid, { length: 1_000 }));
    expect(sameBytes(head.bytes, bytes.subarray(0, 1_000))).toBe(true);
  });
});
