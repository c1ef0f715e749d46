import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHeliaIpfs, createIpfs, type IpfsPort } from '../src/index.js';
import { generatedBytes } from './bytes.js';

const CHUNK = 262_144;
const MAX_LINKS = 174;

describe('Kubo and Helia give the same CID for the same bytes', () => {
  let dir: TempDir;
  let kubo: IpfsPort;
  let helia: IpfsPort;

  beforeAll(async () => {
    const apiUrl = inject('servers').kuboApiUrl;
    if (!apiUrl) throw new Error('the global set-up did not start Kubo');
    dir = await makeTempDir('cid-equivalence');
    kubo = await createIpfs({ apiUrl, directory: `${dir.path}/unused` });
    helia = await createHeliaIpfs({ directory: `${dir.path}/helia` });
  });

  afterAll(async () => {
    await Promise.allSettled([kubo?.close(), helia?.close()]);
    await dir?.remove();
  });

  const sizes = [
    0,
    1,
    CHUNK,
    CHUNK + 1,
    5 * 1024 * 1024 + 7,
    // One leaf more than a single node can link to, so the balanced tree grows a second level.
    MAX_LINKS * CHUNK + 1,
  ];

  it.each(sizes)('%i bytes', async (size) => {
    const seed = size + 1;
    const [fromKubo, fromHelia] = await Promise.all([
      kubo.add(generatedBytes(size, seed, 100_000)),
      helia.add(generatedBytes(size, seed, 100_000)),
    ]);
    expect(fromKubo.size).toBe(size);
    expect(fromHelia).toEqual(fromKubo);
  });
});
