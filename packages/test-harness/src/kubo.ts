import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installHints, requireBinary } from './binaries.js';
import { startProcess } from './child-process.js';
import { freePort } from './free-port.js';
import { makeTempDir } from './temp-dir.js';

const run = promisify(execFile);

export interface StartedKubo {
  /** Base URL of the Kubo RPC API, e.g. http://127.0.0.1:5001 */
  readonly apiUrl: string;
  readonly version: string;
  stop(): Promise<void>;
}

/**
 * Starts a throw-away Kubo daemon in a fresh IPFS_PATH. It never touches the network: the `test`
 * profile empties Bootstrap and turns off MDNS/AutoConf/AutoTLS/NAT, routing is set to `none`, and
 * the daemon runs with `--offline` (no swarm at all), which still serves add/cat/pin/stat.
 */
export interface KuboOptions {
  /** Keep the repository here across runs (the dev platform); default: a temp dir removed on stop. */
  readonly repoDir?: string;
  readonly apiPort?: number;
}

export async function startKubo(opts: KuboOptions = {}): Promise<StartedKubo> {
  const ipfs = requireBinary('ipfs', installHints.ipfs);
  const dir = opts.repoDir
    ? { path: opts.repoDir, remove: async () => undefined }
    : await makeTempDir('kubo');
  const env = { ...process.env, IPFS_PATH: dir.path, IPFS_TELEMETRY: 'off' };
  const ipfsCmd = (...args: string[]) => run(ipfs, args, { env });

  try {
    const apiPort = opts.apiPort ?? (await freePort());
    const gatewayPort = await freePort();
    const swarmPort = await freePort();
    if (!existsSync(join(dir.path, 'config'))) {
      await mkdir(dir.path, { recursive: true });
      await ipfsCmd('init', '--profile=test', '--empty-repo');
    }
    await ipfsCmd('config', 'Addresses.API', `/ip4/127.0.0.1/tcp/${apiPort}`);
    await ipfsCmd('config', 'Addresses.Gateway', `/ip4/127.0.0.1/tcp/${gatewayPort}`);
    await ipfsCmd(
      'config',
      '--json',
      'Addresses.Swarm',
      JSON.stringify([`/ip4/127.0.0.1/tcp/${swarmPort}`]),
    );
    await ipfsCmd('config', '--json', 'Bootstrap', '[]');
    await ipfsCmd('config', '--json', 'Discovery.MDNS.Enabled', 'false');
    await ipfsCmd('config', 'Routing.Type', 'none');

    const { stdout } = await ipfsCmd('version', '--number');
    const version = stdout.trim();

    const daemon = await startProcess({
      command: ipfs,
      args: ['daemon', '--offline'],
      env,
      readyWhen: /Daemon is ready/,
      timeoutMs: 60_000,
      label: 'kubo',
    });
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    process.stderr.write(`kubo ${version} ready at ${apiUrl}\n`);

    return {
      apiUrl,
      version,
      async stop() {
        try {
          await daemon.stop();
        } finally {
          await dir.remove();
        }
      },
    };
  } catch (err) {
    await dir.remove();
    throw err;
  }
}
