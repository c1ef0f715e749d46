import { describe, expect, it } from 'vitest';
import { contentKeyFor } from '../src/content-key.js';

const secret = Buffer.alloc(32, 0x5a);
const source = { sourceId: 12, uuid: '2f1c3e0a-9b7d-4c55-8e21-6a0d4f3b9c10' };
const file = {
  dev: 2_049n,
  ino: 131_077n,
  size: 4_194_304n,
  mtimeNs: 1_735_689_600_123_456_789n,
};

describe('contentKeyFor', () => {
  it('derives the same 32-byte key from the same inputs', () => {
    const key = contentKeyFor(secret, source, file);
    expect(key).toHaveLength(32);
    expect(contentKeyFor(Buffer.from(secret), { ...source }, { ...file })).toEqual(key);
  });

  it.each([
    ['another source id', { source: { ...source, sourceId: 13 } }],
    ['another uuid', { source: { ...source, uuid: '2f1c3e0a-9b7d-4c55-8e21-6a0d4f3b9c11' } }],
    ['another inode', { file: { ...file, ino: file.ino + 1n } }],
    ['another device', { file: { ...file, dev: file.dev + 1n } }],
    ['another size', { file: { ...file, size: file.size + 1n } }],
    ['an mtime one nanosecond later', { file: { ...file, mtimeNs: file.mtimeNs + 1n } }],
    ['another agent secret', { secret: Buffer.alloc(32, 0x5b) }],
  ] as const)('derives a different key for %s', (_what, change) => {
    const changed = contentKeyFor(
      'secret' in change ? change.secret : secret,
      'source' in change ? change.source : source,
      'file' in change ? change.file : file,
    );
    expect(changed).toHaveLength(32);
    expect(changed).not.toEqual(contentKeyFor(secret, source, file));
  });

  it('keeps fields apart: digits cannot move from one field into the next', () => {
    // Without separators, 1|23 and 12|3 would read the same.
    const a = contentKeyFor(secret, source, { ...file, ino: 1n, size: 23n });
    const b = contentKeyFor(secret, source, { ...file, ino: 12n, size: 3n });
    expect(a).not.toEqual(b);
  });
});
