import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BucketUnavailableError, stagingBuckets, stagingDirectory } from '../src/index.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('filesystem staging buckets', () => {
  it('opens each declared bucket once, as a folder of the staging directory', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'staging-'));
    dirs.push(directory);
    const buckets = stagingBuckets({ kind: 'fs', directory, buckets: ['chunks', 'files'] });
    const chunks = await buckets.open('chunks');
    expect(await buckets.open('chunks')).toBe(chunks);
    await chunks.put(
      'a/0/x',
      (async function* () {
        yield new Uint8Array([1, 2, 3]);
      })(),
    );
    // Another process opening the same directory sees the object.
    const again = stagingBuckets({ kind: 'fs', directory, buckets: ['chunks'] });
    expect(await (await again.open('chunks')).stat('a/0/x')).toMatchObject({ size: 3 });
    expect((await readdir(directory)).sort()).toEqual(['chunks']);
  });

  it.each(['elsewhere', '..', '../outside', 'chunks/../..'])(
    'refuses a bucket it was not given (%s) and creates nothing',
    async (name) => {
      const directory = await mkdtemp(join(tmpdir(), 'staging-'));
      dirs.push(directory);
      const buckets = stagingBuckets({ kind: 'fs', directory, buckets: ['chunks'] });
      const err = await buckets.open(name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BucketUnavailableError);
      expect(err).toMatchObject({ bucket: name, reason: 'missing' });
      expect(await readdir(directory)).toEqual([]);
    },
  );

  it('lives under DATA_DIR unless OBJECT_STORE_DIR says otherwise', () => {
    expect(stagingDirectory({ OBJECT_STORE: 'fs', DATA_DIR: '/data' })).toBe('/data/staging');
    expect(
      stagingDirectory({ OBJECT_STORE: 'fs', DATA_DIR: '/data', OBJECT_STORE_DIR: '/shared' }),
    ).toBe('/shared');
  });
});
