import { masterMediaOf, type MasterMedia } from '@media-vault/contracts';
import { PermanentJobError } from '@media-vault/service-kit';
import ffmpeg from 'fluent-ffmpeg';

/**
 * Container, streams and duration of a master as ffprobe reports them: recorded in the private
 * block at seal time so the composed file can be checked against them. A file ffprobe cannot
 * read is not a master; sealing it would only fail later, at the licensee's end.
 */
export function probeMaster(path: string): Promise<MasterMedia> {
  return new Promise((resolve, reject) => {
    ffmpeg.ffprobe(path, (err, data) => {
      if (err) {
        const said =
          String((err as Error).message)
            .split('\n')
            .filter(Boolean)
            .at(-1) ?? '';
        reject(new PermanentJobError(`ffprobe cannot read the master: ${said}`, { cause: err }));
        return;
      }
      resolve(masterMediaOf(data));
    });
  });
}
