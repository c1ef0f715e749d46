import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegRunner, FfprobeUnreadableError, probeMaster } from '../src/index.js';

const run = promisify(execFile);
const tools = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', timeoutSeconds: 30 };

describe('probeMaster', () => {
  let dir: TempDir;
  const runner = new FfmpegRunner(tools);

  beforeAll(async () => {
    dir = await makeTempDir('master-probe');
  });
  afterAll(() => dir?.remove());

  it('reads container, streams and duration of a film master', async () => {
    const master = join(dir.path, 'master.mp4');
    const args =
      '-f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=frequency=440 -t 2 ' +
      '-c:v libx264 -preset ultrafast -c:a aac -shortest';
    await run('ffmpeg', ['-v', 'error', '-y', ...args.split(' '), master]);
    const media = await probeMaster(runner, master);
    expect(media.container).toBe('mov,mp4,m4a,3gp,3g2,mj2');
    expect(media.streams).toEqual([
      { type: 'video', codec: 'h264' },
      { type: 'audio', codec: 'aac' },
    ]);
    expect(media.durationMs).toBeGreaterThanOrEqual(1900);
    expect(media.durationMs).toBeLessThanOrEqual(2100);
  });

  it('uses the configured ffprobe, not the one on the PATH', async () => {
    const junk = join(dir.path, 'junk');
    await writeFile(junk, 'not media at all');
    await expect(probeMaster(runner, junk)).rejects.toBeInstanceOf(FfprobeUnreadableError);
    const elsewhere = new FfmpegRunner({ ...tools, ffprobePath: '/nonexistent/ffprobe' });
    await expect(probeMaster(elsewhere, junk)).rejects.toThrow(/ffprobe did not run/);
  });
});
