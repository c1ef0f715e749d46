import type { AssetFile } from '@media-vault/contracts';
import { describe, expect, it } from 'vitest';
import { distinctCids, originalOf, shareWithTwin } from '../src/audio/shared-files.rules.js';

const file = (kind: 0 | 1 | 2, cid: string): AssetFile => ({
  file: kind,
  cid,
  size: '100',
  bitrate: 128_000,
  sampleRate: 44_100,
});

describe('shared files', () => {
  it('lists each CID once, in order', () => {
    expect(distinctCids([{ cid: 'b' }, { cid: 'a' }, { cid: 'b' }, { cid: 'c' }])).toEqual([
      'b',
      'a',
      'c',
    ]);
    expect(distinctCids([])).toEqual([]);
  });

  it('finds the original among the files', () => {
    expect(originalOf([file(1, 'x'), file(0, 'o'), file(2, 'y')])).toEqual(file(0, 'o'));
    expect(originalOf([file(1, 'x')])).toBeUndefined();
  });

  it('without a twin keeps its own files and unpins nothing', () => {
    const merged = [file(0, 'o'), file(1, 'mine-1'), file(2, 'mine-2')];
    expect(shareWithTwin(merged, undefined)).toEqual({ files: merged, surplus: [] });
  });

  it('with a full twin keeps the twin’s files; its own renditions are surplus', () => {
    const merged = [file(0, 'o'), file(1, 'mine-1'), file(2, 'mine-2')];
    const twin = [file(0, 'o'), file(1, 'twin-1'), file(2, 'twin-2')];
    expect(shareWithTwin(merged, twin)).toEqual({
      files: [file(0, 'o'), file(1, 'twin-1'), file(2, 'twin-2')],
      surplus: ['mine-1', 'mine-2'],
    });
  });

  it('with a twin whose renditions are the same CIDs has no surplus', () => {
    const both = [file(0, 'o'), file(1, 'r1'), file(2, 'r2')];
    expect(shareWithTwin(both, [...both])).toEqual({ files: both, surplus: [] });
  });

  it('ignores a twin with fewer files than the merge made', () => {
    const merged = [file(0, 'o'), file(1, 'mine-1'), file(2, 'mine-2')];
    expect(shareWithTwin(merged, [file(0, 'o')])).toEqual({ files: merged, surplus: [] });
  });
});
