import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findVideoFiles, ingestPathOf, isVideoFileName, planIngest } from '../src/video-files.js';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('cli-video-files');
});
afterEach(async () => {
  await dir.remove();
});

async function files(root: string, names: string[]): Promise<void> {
  for (const name of names) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), name);
  }
}

describe('isVideoFileName', () => {
  it('takes the listed extensions in any case and nothing hidden', () => {
    for (const name of ['a.mp4', 'b.MOV', 'c.Mkv', 'd.mxf', 'e.avi', 'f.ts', 'g.m2ts', 'h.mpg']) {
      expect(isVideoFileName(name), name).toBe(true);
    }
    for (const name of ['i.mpeg', 'j.m4v', 'k.webm', '仙剑奇侠传（第21集）.MP4']) {
      expect(isVideoFileName(name), name).toBe(true);
    }
    for (const name of ['notes.txt', 'mov', 'a.mov.part', '.a.mov', '._a.mov', 'a.', 'a.wav']) {
      expect(isVideoFileName(name), name).toBe(false);
    }
  });
});

describe('findVideoFiles', () => {
  it('walks subfolders, in name order, skipping hidden folders and other files', async () => {
    await files(dir.path, [
      'b.mov',
      'a/z.mkv',
      'a/a.MP4',
      'a/readme.md',
      '.Trashes/x.mov',
      '.hidden/y.mov',
      '._b.mov',
    ]);
    const found = await findVideoFiles(dir.path);
    expect(found.files.map((f) => f.slice(dir.path.length + 1))).toEqual([
      'a/a.MP4',
      'a/z.mkv',
      'b.mov',
    ]);
    expect(found.skipped).toEqual([]);
  });

  it('takes linked files but does not follow linked folders (they can loop)', async () => {
    await files(dir.path, ['real/a.mov']);
    await symlink(join(dir.path, 'real', 'a.mov'), join(dir.path, 'link.mov'));
    await symlink(dir.path, join(dir.path, 'real', 'loop'));
    const found = await findVideoFiles(dir.path);
    expect(found.files.map((f) => f.slice(dir.path.length + 1))).toEqual([
      'link.mov',
      'real/a.mov',
    ]);
    expect(found.skipped).toEqual([
      { file: join(dir.path, 'real', 'loop'), reason: 'symlinked folder, not followed' },
    ]);
  });
});

describe('ingestPathOf', () => {
  it('is relative to the root and /-separated', () => {
    expect(ingestPathOf('/ingest', '/ingest/show/ep1.mov')).toBe('show/ep1.mov');
    expect(ingestPathOf('/ingest', '/ingest/a b/第21集.mxf')).toBe('a b/第21集.mxf');
  });

  it('refuses anything not strictly under the root', () => {
    expect(() => ingestPathOf('/ingest', '/ingest')).toThrow(/outside the ingest root/);
    expect(() => ingestPathOf('/ingest', '/elsewhere/a.mov')).toThrow(/outside/);
    expect(() => ingestPathOf('/ingest', '/ingest-2/a.mov')).toThrow(/outside/);
    expect(() => ingestPathOf('/ingest/show', '/ingest/a.mov')).toThrow(/outside/);
  });

  it('refuses names the ingest path contract refuses', () => {
    expect(() => ingestPathOf('/ingest', '/ingest/a\\b.mov')).toThrow(/backslash/);
    expect(() => ingestPathOf('/ingest', '/ingest/a\nb.mov')).toThrow(/control character/);
  });
});

describe('planIngest', () => {
  it('plans every file with its name and path under the root', async () => {
    await files(dir.path, ['show/ep1.mov', 'show/extras/ep2.mp4']);
    const plan = await planIngest(join(dir.path, 'show'), dir.path);
    expect(plan.refused).toEqual([]);
    expect(plan.files.map((f) => [f.name, f.ingestPath])).toEqual([
      ['ep1.mov', 'show/ep1.mov'],
      ['ep2.mp4', 'show/extras/ep2.mp4'],
    ]);
  });

  it('refuses files outside the root, also through a link that leaves it', async () => {
    await files(dir.path, ['root/show/in.mov', 'outside/secret.mov']);
    await symlink(join(dir.path, 'outside', 'secret.mov'), join(dir.path, 'root', 'show', 'l.mov'));
    const plan = await planIngest(join(dir.path, 'root', 'show'), join(dir.path, 'root'));
    expect(plan.files.map((f) => f.ingestPath)).toEqual(['show/in.mov']);
    expect(plan.refused).toEqual([
      {
        file: join(dir.path, 'root', 'show', 'l.mov'),
        reason: expect.stringMatching(/outside the ingest root/),
      },
    ]);

    const elsewhere = await planIngest(join(dir.path, 'outside'), join(dir.path, 'root'));
    expect(elsewhere.files).toEqual([]);
    expect(elsewhere.refused).toHaveLength(1);
  });

  it('names a missing root or folder', async () => {
    await expect(planIngest(dir.path, join(dir.path, 'nope'))).rejects.toThrow(/does not exist/);
    await expect(planIngest(join(dir.path, 'nope'), dir.path)).rejects.toThrow(/is not a folder/);
  });
});
