import type { AssetFile } from '@media-vault/contracts';

/** Each CID of `files` once, in order of appearance. */
export const distinctCids = (files: readonly Pick<AssetFile, 'cid'>[]): string[] => [
  ...new Set(files.map((f) => f.cid)),
];

/** The original (file 0) of a merge's files, whose CID finds a twin holding the same bytes. */
export const originalOf = <F extends Pick<AssetFile, 'file'>>(files: readonly F[]): F | undefined =>
  files.find((f) => f.file === 0);

/**
 * What a merged asset keeps when a twin with the same original exists: the twin's files, when it
 * has a full set (as many files as this merge made); otherwise its own. `surplus` are the CIDs of
 * its own renditions it then does not keep, which may be unpinned unless something else uses them.
 */
export function shareWithTwin(
  merged: readonly AssetFile[],
  twin: readonly AssetFile[] | undefined,
): { files: AssetFile[]; surplus: string[] } {
  if (!twin || twin.length !== merged.length) return { files: [...merged], surplus: [] };
  const kept = new Set(twin.map((f) => f.cid));
  return { files: [...twin], surplus: distinctCids(merged).filter((cid) => !kept.has(cid)) };
}
