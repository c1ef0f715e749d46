import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** An mp3 tone made by ffmpeg; each frequency makes a different file (and hash). */
export async function makeMp3(
  dir: string,
  name: string,
  frequency: number,
  seconds = 20,
): Promise<{ name: string; bytes: Buffer }> {
  const path = join(dir, name);
  const child = spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi'],
      ...['-i', `sine=frequency=${frequency}:duration=${seconds}`],
      ...['-ac', '2', '-ar', '44100', '-b:a', '128k', '-metadata', `title=${name}`, '-y', path],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`ffmpeg failed: ${err}`);
  return { name, bytes: await readFile(path) };
}
