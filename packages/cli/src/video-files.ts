import { IngestPath } from '@media-vault/contracts';
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative, sep } from 'node:path';

/** What the seed's desktop client treats as a master: container formats studios deliver in. */
export const VideoExtensions = [
  'mp4',
  'mov',
  'mkv',
  'mxf',
  'avi',
  'ts',
  'm2ts',
  'mpg',
  'mpeg',
  'm4v',
  'webm',
] as const;

const videoExtensions = new Set<string>(VideoExtensions);

/**
 * Hidden entries are never masters: macOS writes `._name.mov` resource forks beside every file on
 * a non-HFS drive and `.Trashes`/`.Spotlight-V100` folders at the root, and they would otherwise
 * be sealed as films.
 */
const isHidden = (name: string): boolean => name.startsWith('.');

export const isVideoFileName = (name: string): boolean =>
  !isHidden(name) && videoExtensions.has(extname(name).slice(1).toLowerCase());

export interface VideoFile {
  /** The file as found in the folder (absolute). */
  readonly file: string;
  /** The name the source gets (`source_name`): the file's own name, as the seed's client sends. */
  readonly name: string;
  /** Relative to the agent's ingest root, `/`-separated: what the agent opens (`path`). */
  readonly ingestPath: string;
}

export interface RefusedFile {
  readonly file: string;
  readonly reason: string;
}

export interface IngestPlan {
  readonly files: readonly VideoFile[];
  /** Video files that cannot be sent: nothing is created while there is one (all or nothing). */
  readonly refused: readonly RefusedFile[];
  /** Entries passed over that a user may have expected to be taken (symlinked folders). */
  readonly skipped: readonly RefusedFile[];
}

const ingestPathPattern = new RegExp(IngestPath.pattern ?? '');
const maxIngestPath = IngestPath.maxLength ?? 4096;

/**
 * The path an agent is given for `file`: relative to its ingest root and `/`-separated. Both
 * sides are resolved through symlinks first, so a link inside the root that points outside it is
 * refused here rather than by the agent after a task was created. Throws with the reason.
 */
export function ingestPathOf(realRoot: string, realFile: string): string {
  const rel = relative(realRoot, realFile);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new Error(`is outside the ingest root ${realRoot}`);
  }
  const path = rel.split(sep).join('/');
  if (path.length > maxIngestPath) throw new Error(`path is longer than ${maxIngestPath}`);
  // The contract refuses backslashes and control characters; say so before the server does.
  if (!ingestPathPattern.test(path)) {
    throw new Error('name has a backslash or a control character, which an ingest path cannot');
  }
  return path;
}

/** Every video file under `folder`, recursively, in path order; symlinked folders are not followed. */
export async function findVideoFiles(
  folder: string,
): Promise<{ files: string[]; skipped: RefusedFile[] }> {
  const files: string[] = [];
  const skipped: RefusedFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (isHidden(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && isVideoFileName(entry.name)) files.push(path);
      else if (entry.isSymbolicLink()) {
        // A linked file is taken (its target is checked against the root later); a linked
        // folder is not walked, since links can loop.
        const target = await stat(path).catch(() => undefined);
        if (target?.isFile() && isVideoFileName(entry.name)) files.push(path);
        else if (target?.isDirectory())
          skipped.push({ file: path, reason: 'symlinked folder, not followed' });
      }
    }
  };
  await walk(folder);
  return { files, skipped };
}

/**
 * What `vault upload` would create for `folder`: one entry per video file with its ingest path,
 * and the files that cannot be sent with why. Throws when the folder or the root is missing.
 */
export async function planIngest(folder: string, root: string): Promise<IngestPlan> {
  const realRoot = await realpath(root).catch((err: NodeJS.ErrnoException) => {
    throw new Error(
      `ingest root ${root}: ${err.code === 'ENOENT' ? 'does not exist' : err.message}`,
    );
  });
  const folderStat = await stat(folder).catch(() => undefined);
  if (!folderStat?.isDirectory()) throw new Error(`${folder} is not a folder`);
  const { files: found, skipped } = await findVideoFiles(folder);
  const files: VideoFile[] = [];
  const refused: RefusedFile[] = [];
  for (const file of found) {
    try {
      const ingestPath = ingestPathOf(realRoot, await realpath(file));
      files.push({ file, name: basename(file), ingestPath });
    } catch (err) {
      refused.push({ file, reason: (err as Error).message });
    }
  }
  return { files, refused, skipped };
}
