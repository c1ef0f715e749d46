import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { createHash, randomBytes } from 'node:crypto';
import { open, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentKeyFor, withContentKey } from '../src/content-key.js';
import { MasterReader } from '../src/master-reader.js';

const secret = Buffer.alloc(32, 0x5a);
const source = { sourceId: 12, uuid: '2f1c3e0a-9b7d-4c55-8e21-6a0d4f3b9c10' };
const content = {
  plaintextSize: 4_194_304,
  segmentSize: 1_048_576,
  plaintextSha256: createHash('sha256').update('one master').digest(),
};

describe('contentKeyFor', () => {
  it('derives the same 32-byte key from the same inputs', () => {
    const key = contentKeyFor(secret, source, content);
    expect(key).toHaveLength(32);
    expect(contentKeyFor(Buffer.from(secret), { ...source }, { ...content })).toEqual(key);
  });

  it.each([
    ['another source id', { source: { ...source, sourceId: 13 } }],
    ['another uuid', { source: { ...source, uuid: '2f1c3e0a-9b7d-4c55-8e21-6a0d4f3b9c11' } }],
    ['another size', { content: { ...content, plaintextSize: content.plaintextSize + 1 } }],
    // The same bytes cut at other boundaries put other plaintexts under the same nonces.
    ['another segment size', { content: { ...content, segmentSize: 4_194_304 } }],
    [
      'another sha256',
      { content: { ...content, plaintextSha256: createHash('sha256').update('other').digest() } },
    ],
    ['another agent secret', { secret: Buffer.alloc(32, 0x5b) }],
  ] as const)('derives a different key for %s', (_what, change) => {
    const changed = contentKeyFor(
      'secret' in change ? change.secret : secret,
      'source' in change ? change.source : source,
      'content' in change ? change.content : content,
    );
    expect(changed).toHaveLength(32);
    expect(changed).not.toEqual(contentKeyFor(secret, source, content));
  });

  it('keeps fields apart: digits cannot move from one field into the next', () => {
    // Without separators, 1|23 and 12|3 would read the same.
    const a = contentKeyFor(secret, source, { ...content, plaintextSize: 1, segmentSize: 23 });
    const b = contentKeyFor(secret, source, { ...content, plaintextSize: 12, segmentSize: 3 });
    expect(a).not.toEqual(b);
    const c = contentKeyFor(secret, { sourceId: 1, uuid: '23' }, content);
    const d = contentKeyFor(secret, { sourceId: 12, uuid: '3' }, content);
    expect(c).not.toEqual(d);
  });
});

describe('the content key of a file on disk', () => {
  let dir: TempDir;
  const segmentSize = 65_536;
  const size = 5 * segmentSize + 123;
  const forcedTime = new Date('2026-01-02T03:04:05Z');

  beforeAll(async () => {
    dir = await makeTempDir('content-key');
  });
  afterAll(() => dir?.remove());

  const keyOf = async (path: string) =>
    contentKeyFor(
      secret,
      source,
      await new MasterReader(segmentSize).digest(path, {
        plaintextSize: (await stat(path)).size,
        segmentSize,
      }),
    );

  /** Overwrites the file's bytes where it lies (same inode), then puts its times back. */
  async function rewriteInPlace(path: string, bytes: Buffer): Promise<void> {
    const handle = await open(path, 'r+');
    try {
      await handle.write(bytes, 0, bytes.length, 0);
    } finally {
      await handle.close();
    }
    await utimes(path, forcedTime, forcedTime);
  }

  it('differs for other bytes behind the same device, inode, size and mtime', async () => {
    const path = join(dir.path, 'rewritten.mov');
    const first = randomBytes(size);
    await writeFile(path, first);
    await utimes(path, forcedTime, forcedTime);
    const before = await stat(path, { bigint: true });
    const firstKey = await keyOf(path);

    const second = Buffer.from(first);
    second[3 * segmentSize + 7]! ^= 0x01;
    await rewriteInPlace(path, second);
    const after = await stat(path, { bigint: true });
    // Everything the file system says about the file is as it was: only the bytes differ.
    expect([after.dev, after.ino, after.size, after.mtimeNs]).toEqual([
      before.dev,
      before.ino,
      before.size,
      before.mtimeNs,
    ]);
    expect(await keyOf(path)).not.toEqual(firstKey);
  });

  it('is the same for the same bytes, whatever the file system says about them', async () => {
    const bytes = randomBytes(size);
    const a = join(dir.path, 'a.mov');
    const b = join(dir.path, 'b.mov');
    await writeFile(a, bytes);
    await writeFile(b, bytes);
    await utimes(b, forcedTime, forcedTime);
    expect(await keyOf(b)).toEqual(await keyOf(a));
  });
});

describe('withContentKey', () => {
  it('wipes the key once the work is done', async () => {
    let lent: Buffer | undefined;
    const result = await withContentKey(secret, source, content, async (key) => {
      lent = key;
      expect(key).toEqual(contentKeyFor(secret, source, content));
      return 'sealed';
    });
    expect(result).toBe('sealed');
    expect(lent).toEqual(Buffer.alloc(32));
  });

  it('wipes the key when the work fails', async () => {
    let lent: Buffer | undefined;
    const work = withContentKey(secret, source, content, async (key) => {
      lent = key;
      throw new Error('the seal failed');
    });
    await expect(work).rejects.toThrow('the seal failed');
    expect(lent).toEqual(Buffer.alloc(32));
  });
});
