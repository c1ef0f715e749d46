import type { AssetFileKind } from '@media-vault/contracts';

const SUFFIX: Record<AssetFileKind, string> = { 0: '', 1: '-archive', 2: '-live' };

/** The file name a download is saved under: the asset name, marked for renditions, as .mp3. */
export const downloadName = (name: string, kind: AssetFileKind): string => {
  const base = name.replace(/\.mp3$/i, '') || 'audio';
  return `${base}${SUFFIX[kind]}.mp3`;
};
