import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** First line of `<tool> -version`; rejects with an install hint when the tool is missing. */
export async function toolVersion(binary: string): Promise<string> {
  try {
    const { stdout } = await run(binary, ['-version'], { timeout: 10_000 });
    return stdout.split('\n')[0]?.trim() ?? '';
  } catch (err) {
    throw new Error(
      `${binary} is not runnable (apt-get install -y ffmpeg): ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}
