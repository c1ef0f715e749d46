import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFsObjectStore } from '../src/index.js';
import { describeObjectStorePort } from './object-store.conformance.js';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'object-store-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describeObjectStorePort('filesystem', async () =>
  openFsObjectStore({ directory: await tempDir() }),
);

describe('filesystem adapter', () => {
  it('clears what a crash left half-written when it opens', async () => {
    const directory = await tempDir();
    const store = await openFsObjectStore({ directory });
    const failing = async function* () {
      yield new Uint8Array(10);
      throw new Error('crash');
    };
    await expect(store.put('a/b', failing())).rejects.toThrow('crash');
    expect(await readdir(join(directory, '.incoming'))).toEqual([]);
    await openFsObjectStore({ directory });
    expect(await readdir(join(directory, '.incoming'))).toEqual([]);
    expect(await readdir(join(directory, '.trash'))).toEqual([]);
  });

  it("leaves another process's put in progress, and sweeps one abandoned long ago", async () => {
    const directory = await tempDir();
    await openFsObjectStore({ directory });
    const inProgress = join(directory, '.incoming', 'in-progress');
    const abandoned = join(directory, '.incoming', 'abandoned');
    for (const dir of [inProgress, abandoned]) {
      await mkdir(dir);
      await writeFile(join(dir, 'data'), 'partial');
    }
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(join(abandoned, 'data'), twoHoursAgo, twoHoursAgo);
    await utimes(abandoned, twoHoursAgo, twoHoursAgo);
    await openFsObjectStore({ directory });
    expect(await readdir(join(directory, '.incoming'))).toEqual(['in-progress']);
  });
});
