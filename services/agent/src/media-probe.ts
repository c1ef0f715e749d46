import type { MasterMedia } from '@media-vault/contracts';
import { FfprobeUnreadableError, probeMaster, type FfmpegRunner } from '@media-vault/media-tools';
import { PermanentJobError } from '@media-vault/service-kit';

/**
 * Container, streams and duration of a master as ffprobe reports them: recorded in the private
 * block at seal time so the composed file can be checked against them. A file ffprobe cannot
 * read is not a master; sealing it would only fail later, at the licensee's end.
 */
export async function probeSealedMaster(runner: FfmpegRunner, path: string): Promise<MasterMedia> {
  try {
    return await probeMaster(runner, path);
  } catch (err) {
    if (!(err instanceof FfprobeUnreadableError)) throw err;
    const said = err.stderr.split('\n').filter(Boolean).at(-1) ?? '';
    throw new PermanentJobError(`ffprobe cannot read the master: ${said}`, { cause: err });
  }
}
