import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, truncate, utimes, writeFile } from 'node:fs/promises';
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

  it('shows nothing of a put until it is complete, nor after a crash cut it short', async () => {
    const directory = await tempDir();
    const store = await openFsObjectStore({ directory });
    let release!: () => void;
    const paused = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const halfway = new Promise<void>((resolve) => (reached = resolve));
    const source = async function* () {
      yield new Uint8Array(2 * 1024 * 1024).fill(7);
      reached();
      await paused;
      throw new Error('the process died');
    };
    const put = store.put('a/b', source());
    await halfway;
    // The bytes so far are on the disk, under .incoming only.
    expect(await readdir(join(directory, '.incoming'))).toHaveLength(1);
    expect(await store.stat('a/b')).toBeNull();
    await expect(collect(store.get('a/b'))).rejects.toThrow('no object');
    expect(await keys(store)).toEqual([]);
    // A store opened meanwhile (another process) leaves the put alone and sees nothing of it.
    const other = await openFsObjectStore({ directory });
    expect(await other.stat('a/b')).toBeNull();
    release();
    await expect(put).rejects.toThrow('the process died');
    expect(await keys(other)).toEqual([]);
  });

  it('refuses to serve an object file that lost its end, instead of returning short content', async () => {
    const directory = await tempDir();
    const store = await openFsObjectStore({ directory });
    await store.put('a/whole', bytesOf('whole object'));
    await store.put('a/cut', bytesOf('an object someone cut short'));
    await truncate(join(directory, 'objects', 'a', 'cut~'), 10);
    await expect(store.stat('a/cut')).rejects.toThrow('not a complete object');
    await expect(collect(store.get('a/cut'))).rejects.toThrow('not a complete object');
    // A listing (and so an expiry sweep) goes on past it.
    expect(await keys(store, 'a/')).toEqual(['a/whole']);
  });

  it('reads, lists and deletes objects stored as a data file and meta.json by earlier versions', async () => {
    const directory = await tempDir();
    const store = await openFsObjectStore({ directory });
    const content = Buffer.from('stored before the one-file layout');
    const dir = join(directory, 'objects', 'old', 'x~');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'data'), content);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const modified = '2026-01-02T03:04:05.000Z';
    await writeFile(
      join(dir, 'meta.json'),
      JSON.stringify({ size: content.length, sha256, modified }),
    );
    expect(await store.stat('old/x')).toEqual({
      key: 'old/x',
      size: content.length,
      sha256,
      modified: new Date(modified),
    });
    expect((await collect(store.get('old/x', { offset: 7, length: 6 }))).toString()).toBe('before');
    await expect(store.put('old/x', bytesOf('new'))).rejects.toThrow('exists already');
    expect(await keys(store, 'old/')).toEqual(['old/x']);
    expect(await store.delete('old/x')).toBe(true);
    expect(await store.stat('old/x')).toBeNull();
  });
});

async function* bytesOf(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

async function keys(
  store: Awaited<ReturnType<typeof openFsObjectStore>>,
  prefix?: string,
): Promise<string[]> {
  const found: string[] = [];
  for await (const object of store.list(prefix)) found.push(object.key);
  return found.sort();
}
