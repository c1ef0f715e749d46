import type { AudioProbe } from '@media-vault/contracts';
import type { FfmpegCommand } from 'fluent-ffmpeg';

/**
 * EBU R128 target of the archive rendition. loudnorm runs in one pass (dynamic mode): a second,
 * measured pass would keep the dynamics untouched but doubles the decode work for every upload.
 */
export const ARCHIVE_LOUDNESS = { integrated: -23, truePeak: -1, range: 7 } as const;

export interface Rendition {
  readonly file: 1 | 2;
  readonly name: string;
  /** Adds the output options to a command that reads the original. */
  readonly apply: (command: FfmpegCommand, source: AudioProbe) => FfmpegCommand;
}

/** Options every rendition shares: first audio stream only (cover art is a video stream), mp3. */
const mp3Output = (command: FfmpegCommand, kbps: number, sampleRate: number): FfmpegCommand =>
  command
    .outputOptions(['-map', '0:a:0'])
    .noVideo()
    .audioCodec('libmp3lame')
    // libmp3lame encodes constant bitrate when given -b:a without -q:a or -abr.
    .audioBitrate(kbps)
    .audioFrequency(sampleRate)
    .format('mp3');

export const renditions: readonly Rendition[] = [
  {
    file: 1,
    name: 'archive',
    apply: (command, source) => {
      const { integrated, truePeak, range } = ARCHIVE_LOUDNESS;
      // loudnorm resamples to 192 kHz internally, so the output rate is always set; 320 kbps
      // exists only for MPEG-1 rates (32 kHz and above), lower ones go up to 44.1 kHz.
      const rate = source.sampleRate >= 32_000 ? source.sampleRate : 44_100;
      return mp3Output(
        command.audioFilters(`loudnorm=I=${integrated}:TP=${truePeak}:LRA=${range}`),
        320,
        rate,
      );
    },
  },
  {
    file: 2,
    name: 'live',
    apply: (command) => mp3Output(command, 128, 44_100),
  },
];
