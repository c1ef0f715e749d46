import { masterMediaOf, type MasterMedia } from '@media-vault/contracts';
import type { FfmpegRunner } from './ffmpeg-runner.js';

/**
 * Container, streams and duration of a film master as ffprobe reports them: what sealing records
 * in the private block and composing checks the decrypted file against. Rejects with an
 * FfprobeUnreadableError when the bytes are not media ffprobe can read.
 */
export async function probeMaster(runner: FfmpegRunner, file: string): Promise<MasterMedia> {
  return masterMediaOf(await runner.probe(file));
}
