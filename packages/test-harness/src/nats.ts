import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installHints, requireBinary } from './binaries.js';
import { startProcess } from './child-process.js';
import { freePort } from './free-port.js';
import { makeTempDir } from './temp-dir.js';

const run = promisify(execFile);

export interface StartedNats {
  readonly url: string;
  readonly version: string;
  stop(): Promise<void>;
}

/**
 * nats-server with JetStream, its store in a temp dir, on a free loopback port. `config` is
 * nats-server configuration text (e.g. an `authorization` block with users and permissions);
 * the command-line settings here win over it.
 */
export async function startNats(opts: { config?: string } = {}): Promise<StartedNats> {
  const bin = requireBinary('nats-server', installHints['nats-server']);
  const dir = await makeTempDir('nats');
  const port = await freePort();
  const configArgs: string[] = [];
  if (opts.config !== undefined) {
    const file = join(dir.path, 'nats.conf');
    await writeFile(file, opts.config);
    configArgs.push('-c', file);
  }
  const proc = await startProcess({
    command: bin,
    args: [
      ...configArgs,
      ...['-js', '-sd', join(dir.path, 'store'), '-a', '127.0.0.1', '-p', String(port)],
      ...['-n', `test-${port}`],
    ],
    label: 'nats-server',
    readyWhen: /Server is ready/,
  });
  const { stdout } = await run(bin, ['--version']);
  const version = stdout.trim();
  const url = `nats://127.0.0.1:${port}`;
  process.stderr.write(`${version} with JetStream ready at ${url}\n`);
  return {
    url,
    version,
    async stop() {
      await proc.stop();
      await dir.remove();
    },
  };
}
