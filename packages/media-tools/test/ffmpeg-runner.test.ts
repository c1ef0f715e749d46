import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clampPercent,
  FfmpegError,
  FfmpegRunner,
  FfprobeUnreadableError,
} from '../src/ffmpeg-runner.js';

const tools = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', timeoutSeconds: 30 };

describe('ffmpeg runner', () => {
  let dir: TempDir;
  const runner = new FfmpegRunner(tools);

  beforeAll(async () => {
    dir = await makeTempDir('ffmpeg-runner');
  });
  afterAll(() => dir?.remove());

  it('clamps progress to 0–100 and drops what is not a number', () => {
    expect([120.4, -3, 42.6, Number.NaN, undefined].map(clampPercent)).toEqual([
      100,
      0,
      43,
      undefined,
      undefined,
    ]);
  });

  it('reports progress while it runs and resolves when ffmpeg is done', async () => {
    const seen: (number | undefined)[] = [];
    const command = runner
      .command('sine=frequency=440:duration=3')
      .inputFormat('lavfi')
      .audioCodec('libmp3lame')
      .format('mp3');
    await runner.run(command, join(dir.path, 'tone'), { onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((p) => p === undefined || (p >= 0 && p <= 100))).toBe(true);
  });

  it('rejects with what ffmpeg said on stderr', async () => {
    const command = runner
      .command('sine=frequency=440:duration=1')
      .inputFormat('lavfi')
      .audioFilters('nosuchfilter')
      .format('mp3');
    const failure = await runner.run(command, join(dir.path, 'never')).catch((err) => err);
    expect(failure).toBeInstanceOf(FfmpegError);
    expect((failure as FfmpegError).stderr).toMatch(/nosuchfilter/);
  });

  it('tells bytes ffprobe cannot read from an ffprobe that does not run', async () => {
    const junk = join(dir.path, 'junk');
    await writeFile(junk, 'not media at all');
    const unreadable = await runner.probe(junk).catch((err) => err);
    expect(unreadable).toBeInstanceOf(FfprobeUnreadableError);
    expect((unreadable as FfmpegError).stderr).toMatch(/Invalid data/);

    const missing = new FfmpegRunner({ ...tools, ffprobePath: '/nonexistent/ffprobe' });
    const notRun = await missing.probe(junk).catch((err) => err);
    expect(notRun).toBeInstanceOf(FfmpegError);
    expect(notRun).not.toBeInstanceOf(FfprobeUnreadableError);
  });

  it('kills a run that outlasts its time-out', async () => {
    const impatient = new FfmpegRunner({ ...tools, timeoutSeconds: 1 });
    // -re reads the input at its own pace: a minute of tone takes a minute to encode.
    const command = impatient
      .command('sine=frequency=440:duration=60')
      .inputFormat('lavfi')
      .inputOptions('-re')
      .audioCodec('libmp3lame')
      .format('mp3');
    const started = Date.now();
    const failure = await impatient.run(command, join(dir.path, 'slow')).catch((err) => err);
    expect(failure).toBeInstanceOf(FfmpegError);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
