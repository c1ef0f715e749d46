import type { AudioProbe } from '@media-vault/contracts';
import type { FfprobeData, FfprobeStream } from 'fluent-ffmpeg';
import { FfprobeUnreadableError, type FfmpegRunner } from './ffmpeg-runner.js';

export type Mp3Verdict =
  | { readonly mp3: true; readonly probe: AudioProbe }
  | { readonly mp3: false; readonly found: string };

/** fluent-ffmpeg turns numeric fields into numbers but leaves "N/A" as a string. */
const numberOf = (value: unknown): number | undefined => {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

const firstAudio = (data: FfprobeData): FfprobeStream | undefined =>
  data.streams.find((s) => s.codec_type === 'audio');

/** Bits per second of one audio stream: the stream's own figure, else the container's average. */
export function bitrateOf(data: FfprobeData, stream: FfprobeStream | undefined): number {
  return Math.round(numberOf(stream?.bit_rate) ?? numberOf(data.format.bit_rate) ?? 0);
}

/** What ffprobe saw, in words for a rejection reason. */
function describe(data: FfprobeData): string {
  const format = data.format.format_name ?? 'unknown';
  const audio = firstAudio(data);
  if (!audio) return `format ${format} with no audio stream`;
  const rate = numberOf(audio.sample_rate) ?? 0;
  return `format ${format} with audio codec ${audio.codec_name ?? 'unknown'} at ${rate} Hz`;
}

/**
 * Decides from the bytes, never the name, whether `file` is an mp3: the mp3 demuxer with an mp3
 * audio stream that has a sample rate and a duration. A sample rate of 0 is how ffprobe answers
 * when it only guessed mp3 from a file name and found no frame header.
 */
export async function probeMp3(runner: FfmpegRunner, file: string): Promise<Mp3Verdict> {
  let data: FfprobeData;
  try {
    data = await runner.probe(file);
  } catch (err) {
    if (!(err instanceof FfprobeUnreadableError)) throw err;
    // ffprobe prefixes its complaint with the path, which means nothing to whoever uploaded.
    const said = err.stderr.split('\n').filter(Boolean).at(-1)?.replace(`${file}: `, '');
    return { mp3: false, found: `no readable media (${said ?? 'ffprobe said nothing'})` };
  }
  const audio = firstAudio(data);
  const sampleRate = numberOf(audio?.sample_rate) ?? 0;
  const durationS = numberOf(data.format.duration) ?? numberOf(audio?.duration) ?? 0;
  const isMp3 =
    data.format.format_name === 'mp3' &&
    audio?.codec_name === 'mp3' &&
    sampleRate > 0 &&
    durationS > 0;
  if (!isMp3) return { mp3: false, found: describe(data) };
  return {
    mp3: true,
    probe: {
      formatName: 'mp3',
      codec: 'mp3',
      durationMs: Math.round(durationS * 1000),
      bitrate: bitrateOf(data, audio),
      sampleRate,
      channels: numberOf(audio?.channels) ?? 0,
    },
  };
}

/** Bitrate and sample rate of a file a transcode wrote. */
export async function probeOutput(
  runner: FfmpegRunner,
  file: string,
): Promise<{ bitrate: number; sampleRate: number }> {
  const data = await runner.probe(file);
  const audio = firstAudio(data);
  return { bitrate: bitrateOf(data, audio), sampleRate: numberOf(audio?.sample_rate) ?? 0 };
}
