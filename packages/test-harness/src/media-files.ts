import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

// Audio files made and measured by ffmpeg, for tests of the audio pipeline on every floor.

const run = promisify(execFile);
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export interface MediaFile {
  readonly path: string;
  readonly bytes: Buffer;
  readonly hash: string;
}

let tones = 0;

/**
 * An mp3 made by ffmpeg. Every call gets a different tone and title, so no two files in a run
 * share a hash and no two tests share CIDs (hence pins).
 */
export async function makeMp3(
  dir: string,
  opts: { seconds?: number; bitrate?: string; sampleRate?: number } = {},
): Promise<MediaFile> {
  const n = ++tones;
  const frequency = 220 + ((process.pid * 7 + n * 37) % 700);
  const path = join(dir, `tone-${n}-${frequency}.mp3`);
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${frequency}:sample_rate=${opts.sampleRate ?? 48_000}:duration=${opts.seconds ?? 6}`,
    '-ac',
    '2',
    '-codec:a',
    'libmp3lame',
    '-b:a',
    opts.bitrate ?? '192k',
    '-metadata',
    `title=${randomUUID()}`,
    '-y',
    path,
  ]);
  const bytes = await readFile(path);
  return { path, bytes, hash: sha256(bytes) };
}

/** A PCM WAV file: real audio that is not mp3, whatever it is called. */
export async function makeWav(dir: string, seconds = 1): Promise<MediaFile> {
  const path = join(dir, `tone-${++tones}.wav`);
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${300 + tones}:sample_rate=44100:duration=${seconds}`,
    '-metadata',
    `title=${randomUUID()}`,
    '-y',
    path,
  ]);
  const bytes = await readFile(path);
  return { path, bytes, hash: sha256(bytes) };
}

export interface ProbedFile {
  readonly formatName: string;
  readonly codec: string;
  readonly bitRate: number;
  readonly sampleRate: number;
  readonly channels: number;
  readonly durationS: number;
}

/** What ffprobe says about the first audio stream of `bytes` (written to a temp file). */
export async function ffprobe(dir: string, bytes: Uint8Array): Promise<ProbedFile> {
  const path = join(dir, `probe-${randomUUID()}.bin`);
  await writeFile(path, bytes);
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=format_name,duration:stream=codec_type,codec_name,bit_rate,sample_rate,channels',
    '-of',
    'json',
    path,
  ]);
  const data = JSON.parse(stdout) as {
    format: { format_name: string; duration: string };
    streams: {
      codec_type: string;
      codec_name: string;
      bit_rate: string;
      sample_rate: string;
      channels: number;
    }[];
  };
  const audio = data.streams.find((st) => st.codec_type === 'audio');
  return {
    formatName: data.format.format_name,
    codec: audio?.codec_name ?? '',
    bitRate: Number(audio?.bit_rate ?? 0),
    sampleRate: Number(audio?.sample_rate ?? 0),
    channels: audio?.channels ?? 0,
    durationS: Number(data.format.duration),
  };
}

/** Integrated loudness (LUFS) of `bytes` as ffmpeg's EBU R128 meter reports it. */
export async function integratedLoudness(dir: string, bytes: Buffer): Promise<number> {
  const path = join(dir, `loudness-${randomUUID()}.mp3`);
  await writeFile(path, bytes);
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-nostats',
    '-i',
    path,
    '-filter_complex',
    'ebur128',
    '-f',
    'null',
    '-',
  ]);
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const match = /I:\s+(-?[\d.]+) LUFS/.exec(summary);
  if (!match) throw new Error(`no integrated loudness in:\n${summary}`);
  return Number(match[1]);
}
