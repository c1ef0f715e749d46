import type { AssetFile } from '@media-vault/contracts';
import { describe, expect, it } from 'vitest';
import { downloadFile, downloadName } from '../src/audio/download.rules.js';

describe('download names', () => {
  it.each([
    ['song.mp3', 0, 'song.mp3'],
    ['song.mp3', 1, 'song-archive.mp3'],
    ['song.mp3', 2, 'song-live.mp3'],
    ['Song.MP3', 0, 'Song.mp3'],
    ['song', 2, 'song-live.mp3'],
    ['song.wav', 1, 'song.wav-archive.mp3'],
    ['.mp3', 0, 'audio.mp3'],
    ['.mp3', 1, 'audio-archive.mp3'],
    ['a.mp3.mp3', 0, 'a.mp3.mp3'],
  ] as const)('%s as file=%i is saved as %s', (name, kind, expected) => {
    expect(downloadName(name, kind)).toBe(expected);
  });
});

describe('download file', () => {
  const files: AssetFile[] = [
    { file: 0, cid: 'bafk-original', size: '300', bitrate: 192_000, sampleRate: 48_000 },
    { file: 2, cid: 'bafk-live', size: '100', bitrate: 128_000, sampleRate: 44_100 },
  ];

  it('picks the file of the kind asked for', () => {
    expect(downloadFile({ id: 3n, status: 'POST', files }, 0).cid).toBe('bafk-original');
    expect(downloadFile({ id: 3n, status: 'POST', files }, 2).cid).toBe('bafk-live');
  });

  it('is not found while the asset lacks that file', () => {
    expect(() => downloadFile({ id: 3n, status: 'POST', files }, 1)).toThrow(
      expect.objectContaining({
        kind: 'notFound',
        message: 'audio asset 3 has no file=1 yet; it is POST',
      }),
    );
    expect(() => downloadFile({ id: 4n, status: 'DRAFT', files: [] }, 0)).toThrow(
      expect.objectContaining({
        kind: 'notFound',
        message: 'audio asset 4 has no file=0 yet; it is DRAFT',
      }),
    );
  });
});
