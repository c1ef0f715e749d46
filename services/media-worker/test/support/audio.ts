import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Arguments written as one line, as on a shell; none of them contains a space. */
const ffmpeg = (args: string, output: string) =>
  run('ffmpeg', ['-v', 'error', '-y', ...args.split(' '), output]);

export interface AudioFixtures {
  /** 5 s stereo 440 Hz at 48 kHz, 192 kbps CBR mp3, about -10 LUFS: loud enough to be turned down. */
  readonly mp3: Uint8Array;
  /** 2 s of PCM WAV, saved under an .mp3 name. */
  readonly wavNamedMp3: Uint8Array;
  /** Bytes no demuxer recognises, the same on every run. */
  readonly noise: Uint8Array;
}

/** Real files, made by ffmpeg at test set-up, short so the suite stays quick. */
export async function makeAudioFixtures(dir: string): Promise<AudioFixtures> {
  const mp3 = join(dir, 'tone.mp3');
  const wav = join(dir, 'tone.wav.mp3');
  await Promise.all([
    ffmpeg(
      '-f lavfi -i sine=frequency=440:sample_rate=48000:duration=5 -af volume=4 -ac 2 -c:a libmp3lame -b:a 192k',
      mp3,
    ),
    ffmpeg('-f lavfi -i sine=frequency=440:duration=2 -c:a pcm_s16le -f wav', wav),
  ]);
  return {
    mp3: new Uint8Array(await readFile(mp3)),
    wavNamedMp3: new Uint8Array(await readFile(wav)),
    noise: seededNoise(96 * 1024, 0x2545f491),
  };
}

/** xorshift32: random-looking bytes that are the same on every run, so a failure reproduces. */
function seededNoise(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export interface ProbedAudio {
  readonly formatName: string;
  readonly codec: string;
  readonly bitrate: number;
  readonly sampleRate: number;
  readonly channels: number;
  /** Sizes of the audio packets: all within a byte of each other only for constant bitrate. */
  readonly packetSizes: number[];
}

/** ffprobe's view of a file, read independently of the worker's own probing. */
export async function ffprobe(file: string): Promise<ProbedAudio> {
  const args = '-v error -select_streams a:0 -show_format -show_streams -show_entries packet=size';
  const { stdout } = await run('ffprobe', [...args.split(' '), '-of', 'json', file]);
  const data = JSON.parse(stdout) as {
    format: { format_name: string };
    streams: { codec_name: string; bit_rate: string; sample_rate: string; channels: number }[];
    packets: { size: string }[];
  };
  const stream = data.streams[0]!;
  return {
    formatName: data.format.format_name,
    codec: stream.codec_name,
    bitrate: Number(stream.bit_rate),
    sampleRate: Number(stream.sample_rate),
    channels: stream.channels,
    packetSizes: data.packets.map((p) => Number(p.size)),
  };
}

/** Integrated loudness in LUFS, as ffmpeg's EBU R128 scanner measures it. */
export async function integratedLoudness(file: string): Promise<number> {
  const { stderr } = await run('ffmpeg', [
    '-nostats',
    '-i',
    file,
    ...'-af ebur128 -f null -'.split(' '),
  ]);
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const match = /I:\s+(-?[\d.]+) LUFS/.exec(summary);
  if (!match) throw new Error(`no integrated loudness in ebur128 output:\n${summary}`);
  return Number(match[1]);
}
