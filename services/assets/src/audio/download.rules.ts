import {
  VaultError,
  type AssetFile,
  type AssetFileKind,
  type AssetStatus,
} from '@media-vault/contracts';

const SUFFIX: Record<AssetFileKind, string> = { 0: '', 1: '-archive', 2: '-live' };

/** The file name a download is saved under: the asset name, marked for renditions, as .mp3. */
export const downloadName = (name: string, kind: AssetFileKind): string => {
  const base = name.replace(/\.mp3$/i, '') || 'audio';
  return `${base}${SUFFIX[kind]}.mp3`;
};

/** The asset's file of `kind`; until the merge has made it, the download is not found. */
export function downloadFile(
  asset: {
    readonly id: bigint;
    readonly status: AssetStatus;
    readonly files: readonly AssetFile[];
  },
  kind: AssetFileKind,
): AssetFile {
  const file = asset.files.find((f) => f.file === kind);
  if (!file) {
    throw new VaultError(
      'notFound',
      `audio asset ${asset.id} has no file=${kind} yet; it is ${asset.status}`,
    );
  }
  return file;
}
