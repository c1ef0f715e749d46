import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vault } from '../src/vault.js';

const CID_A = 'bafkreiaaaa';
const CID_B = 'bafkreibbbb';

/** What a redelivered seal finds of the attempts before it: see seal.handler.ts. */
describe('vault copies of one source', () => {
  let dir: TempDir;
  let vault: Vault;

  beforeAll(async () => {
    dir = await makeTempDir('vault');
    vault = new Vault(join(dir.path, 'vault'));
  });
  afterAll(() => dir?.remove());

  it('lists none before the vault exists', async () => {
    expect(await vault.cidsOf('3f2b8c1e-5a4d-4e6f-9b7a-0c1d2e3f4a5b')).toEqual([]);
  });

  it("lists every finished copy of the source's uuid, and nothing of another uuid", async () => {
    const uuid = '3f2b8c1e-5a4d-4e6f-9b7a-0c1d2e3f4a5b';
    await vault.write(uuid, CID_B, Buffer.from('b'));
    await vault.write(uuid, CID_A, Buffer.from('a'));
    // A uuid that the first one starts with, and one that starts with it.
    await vault.write(uuid.slice(0, 8), 'bafkreicccc', Buffer.from('c'));
    await vault.write(`${uuid}0`, 'bafkreidddd', Buffer.from('d'));
    // A copy a crash left half-written keeps its temporary name.
    await writeFile(`${vault.pathOf(uuid, 'bafkreieeee')}.123.tmp`, 'e');
    expect(await vault.cidsOf(uuid)).toEqual([CID_A, CID_B]);
    expect(await vault.cidsOf(uuid.slice(0, 8))).toEqual(['bafkreicccc']);
  });

  it('finds the copies of a uuid that is not a file name by its hash', async () => {
    const uuid = 'not/a file name';
    await vault.write(uuid, CID_A, Buffer.from('x'));
    expect(await vault.cidsOf(uuid)).toEqual([CID_A]);
    expect(await vault.read(uuid, CID_A)).toEqual(Buffer.from('x'));
  });
});
