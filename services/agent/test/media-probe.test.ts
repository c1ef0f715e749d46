import { FfmpegError, FfmpegRunner } from '@media-vault/media-tools';
import { PermanentJobError } from '@media-vault/service-kit';
import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../src/config.js';
import { probeSealedMaster } from '../src/media-probe.js';

const run = promisify(execFile);

/** A runner built as startAgentService builds it, from the agent's own configuration. */
const runnerFrom = (env: Record<string, string>) => {
  const config = loadAgentConfig({ AGENT_ID: 'agent-1', AGENT_TOKEN: 't', ...env });
  return new FfmpegRunner({
    ffmpegPath: config.FFMPEG_PATH,
    ffprobePath: config.FFPROBE_PATH,
    timeoutSeconds: config.FFMPEG_TIMEOUT_S,
  });
};

describe('probing a master before sealing it, with real ffprobe', () => {
  let dir: TempDir;
  let master: string;
  let junk: string;

  beforeAll(async () => {
    dir = await makeTempDir('media-probe');
    master = join(dir.path, 'ep.mp4');
    const args = '-f lavfi -i testsrc2=size=160x120:rate=25 -t 1 -c:v libx264 -preset ultrafast';
    await run('ffmpeg', ['-v', 'error', '-y', ...args.split(' '), master]);
    junk = join(dir.path, 'junk.mp4');
    await writeFile(junk, 'not a film at all');
  });
  afterAll(() => dir?.remove());

  it('records what ffprobe reads', async () => {
    expect(await probeSealedMaster(runnerFrom({}), master)).toEqual({
      container: 'mov,mp4,m4a,3gp,3g2,mj2',
      durationMs: 1_000,
      streams: [{ type: 'video', codec: 'h264' }],
    });
  });

  it('fails a file ffprobe cannot read for good, with what ffprobe said', async () => {
    const err = await probeSealedMaster(runnerFrom({}), junk).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentJobError);
    expect((err as Error).message).toMatch(/^ffprobe cannot read the master: .*Invalid data/);
  });

  it('runs the FFPROBE_PATH it is given, and a missing one is retried, not the file failed', async () => {
    const err = await probeSealedMaster(
      runnerFrom({ FFPROBE_PATH: join(dir.path, 'no-ffprobe-here') }),
      master,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegError);
    expect(err).not.toBeInstanceOf(PermanentJobError);
    expect((err as Error).message).toMatch(/ffprobe did not run/);
  });
});
