import { PermanentJobError } from '@media-vault/service-kit';
import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIngestPath } from '../src/ingest-path.js';

describe('resolveIngestPath, on a real directory tree', () => {
  let dir: TempDir;
  /** <tmp>/ingest: the root; <tmp>/outside.mov and <tmp>/elsewhere/ lie beside it. */
  let root: string;
  let outside: string;
  let master: string;

  beforeAll(async () => {
    dir = await makeTempDir('ingest-path');
    root = join(dir.path, 'ingest');
    outside = join(dir.path, 'outside.mov');
    master = join(root, 'series 1', 'master.mov');
    await mkdir(join(root, 'series 1'), { recursive: true });
    await mkdir(join(root, 'folder'));
    await mkdir(join(dir.path, 'elsewhere'));
    await writeFile(master, 'master bytes');
    await writeFile(join(root, '..notes.mov'), 'a file whose name starts with two dots');
    await writeFile(outside, 'not for sealing');
    await writeFile(join(dir.path, 'elsewhere', 'other.mov'), 'not for sealing either');
    await symlink(master, join(root, 'alias.mov'));
    await symlink(outside, join(root, 'escape.mov'));
    await symlink(join(dir.path, 'elsewhere'), join(root, 'linked-dir'));
    await symlink(join(root, 'deleted.mov'), join(root, 'dangling.mov'));
  });

  afterAll(async () => {
    await dir?.remove();
  });

  /** The refusal's message; fails the test unless the path is refused as a permanent error. */
  const refusal = async (path: string, ingestRoot = root): Promise<string> => {
    const outcome = await resolveIngestPath(ingestRoot, path).then(
      (resolved) => new Error(`resolved to ${resolved}`),
      (err: unknown) => err,
    );
    expect(outcome).toBeInstanceOf(PermanentJobError);
    return (outcome as PermanentJobError).message;
  };

  it('resolves a file under the root to its real path', async () => {
    const real = await realpath(master);
    expect(await resolveIngestPath(root, 'series 1/master.mov')).toBe(real);
    expect(await resolveIngestPath(root, './series 1/../series 1/master.mov')).toBe(real);
  });

  it('follows a symlink that stays inside the root', async () => {
    expect(await resolveIngestPath(root, 'alias.mov')).toBe(await realpath(master));
  });

  it('refuses `..` that climbs out of the root', async () => {
    expect(await refusal('../outside.mov')).toBe('path ../outside.mov is outside the ingest root');
    expect(await refusal('series 1/../../outside.mov')).toBe(
      'path series 1/../../outside.mov is outside the ingest root',
    );
  });

  it('refuses an absolute path outside the root', async () => {
    // Either wording names the problem; which one depends on the decision on absolute paths below.
    for (const path of [outside, '/etc/passwd']) {
      expect(await refusal(path)).toMatch(
        new RegExp(`^path ${path} is (outside the ingest root|absolute)`),
      );
    }
  });

  it('refuses the root itself', async () => {
    expect(await refusal('.')).toBe('path . is outside the ingest root');
  });

  it('refuses a symlink inside the root that points outside it', async () => {
    expect(await refusal('escape.mov')).toBe('path escape.mov leads outside the ingest root');
  });

  it('refuses a path through a symlinked directory that points outside the root', async () => {
    expect(await refusal('linked-dir/other.mov')).toBe(
      'path linked-dir/other.mov leads outside the ingest root',
    );
  });

  it('refuses a directory', async () => {
    expect(await refusal('folder')).toBe('path folder is not a file');
  });

  it('refuses a missing file, and a symlink to one', async () => {
    expect(await refusal('series 1/missing.mov')).toBe(
      'no file series 1/missing.mov under the ingest root',
    );
    expect(await refusal('dangling.mov')).toBe('no file dangling.mov under the ingest root');
  });

  it('refuses every path when the root is missing', async () => {
    const missingRoot = join(dir.path, 'no-such-root');
    expect(await refusal('master.mov', missingRoot)).toBe(
      `the ingest root ${missingRoot} does not exist on this agent`,
    );
  });

  // Fails today: `inside()` tests `rel.startsWith('..')`, so a name that merely begins with two
  // dots reads as a climb out. The tasks service accepts this path (no `..` segment).
  it('resolves a file whose name starts with two dots', async () => {
    expect(await resolveIngestPath(root, '..notes.mov')).toBe(
      await realpath(join(root, '..notes.mov')),
    );
  });

  // For decision: an absolute path that happens to name a file under the root is accepted today.
  // The tasks service refuses absolute paths, so this only matters for a job that bypassed it.
  it('refuses an absolute path even when it names a file under the root', async () => {
    expect(await refusal(master)).toMatch(/absolute/);
  });
});
