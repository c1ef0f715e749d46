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
  readonly peerId: string;
  /** Where other nodes on this machine dial it, `/ip4/127.0.0.1/tcp/<port>/p2p/<id>`. */
  readonly swarmAddress: string;
  stop(): Promise<void>;
}

/** A node to stay connected to: Kubo's Peering reconnects whenever the connection drops. */
export interface KuboPeer {
  readonly peerId: string;
  readonly swarmAddress: string;
}

/**
 * Starts a Kubo daemon in its own IPFS_PATH (a fresh temporary one unless `repoDir` is given).
 * It never leaves 127.0.0.0/8: the `test` profile empties Bootstrap and turns off
 * MDNS/AutoConf/AutoTLS/NAT, the swarm listens on 127.0.0.1 only, and Swarm.AddrFilters refuse
 * every other IPv4 range and all of IPv6, so no address learned from a peer is ever dialled.
 * Offline (the default), the daemon runs `--offline` with routing `none`: no swarm at all, which
 * still serves add/cat/pin/stat. Online, routing is the DHT, which on this network is only the
 * LAN DHT (the WAN DHT keeps no loopback peers, Routing.LoopbackAddressesOnLanDHT keeps them in
 * the LAN one); `peers` are kept connected through Peering.
 */
export interface KuboOptions {
  /** Keep the repository here across runs (the dev platform); default: a temp dir removed on stop. */
  readonly repoDir?: string;
  readonly apiPort?: number;
  readonly swarmPort?: number;
  readonly online?: boolean;
  readonly peers?: readonly KuboPeer[];
  /** Name in the harness's log lines. */
  readonly label?: string;
}

/** Everything outside 127.0.0.0/8, as the CIDR deny-list Swarm.AddrFilters takes. */
export const NON_LOOPBACK_FILTERS = [
  '/ip4/0.0.0.0/ipcidr/2',
  '/ip4/64.0.0.0/ipcidr/3',
  '/ip4/96.0.0.0/ipcidr/4',
  '/ip4/112.0.0.0/ipcidr/5',
  '/ip4/120.0.0.0/ipcidr/6',
  '/ip4/124.0.0.0/ipcidr/7',
  '/ip4/126.0.0.0/ipcidr/8',
  '/ip4/128.0.0.0/ipcidr/1',
  '/ip6/::/ipcidr/0',
] as const;

const peeringOf = (peers: readonly KuboPeer[]) =>
  peers.map((peer) => ({
    ID: peer.peerId,
    Addrs: [peer.swarmAddress.replace(/\/p2p\/[^/]+$/, '')],
  }));

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
    const swarmPort = opts.swarmPort ?? (await freePort());
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
    await ipfsCmd('config', '--json', 'Swarm.AddrFilters', JSON.stringify(NON_LOOPBACK_FILTERS));
    await ipfsCmd('config', '--json', 'Routing.DelegatedRouters', '[]');
    await ipfsCmd('config', '--json', 'Routing.LoopbackAddressesOnLanDHT', 'true');
    await ipfsCmd('config', 'Routing.Type', opts.online ? 'dht' : 'none');
    await ipfsCmd('config', '--json', 'Peering.Peers', JSON.stringify(peeringOf(opts.peers ?? [])));

    const { stdout } = await ipfsCmd('version', '--number');
    const version = stdout.trim();
    const peerId = (await ipfsCmd('config', 'Identity.PeerID')).stdout.trim();
    const label = opts.label ?? 'kubo';

    const daemon = await startProcess({
      command: ipfs,
      args: opts.online ? ['daemon'] : ['daemon', '--offline'],
      env,
      readyWhen: /Daemon is ready/,
      timeoutMs: 60_000,
      label,
    });
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    // Peering alone was seen to wait minutes before its first dial; connect now, it reconnects.
    for (const peer of opts.peers ?? []) {
      await ipfsCmd('swarm', 'connect', peer.swarmAddress).catch((err: Error) => {
        process.stderr.write(
          `${label}: could not connect to ${peer.swarmAddress}: ${err.message}\n`,
        );
      });
    }
    process.stderr.write(
      `${label} ${version} ready at ${apiUrl} (${opts.online ? 'online, loopback only' : 'offline'})\n`,
    );

    return {
      apiUrl,
      version,
      peerId,
      swarmAddress: `/ip4/127.0.0.1/tcp/${swarmPort}/p2p/${peerId}`,
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

/**
 * Several online Kubo daemons on loopback, each in its own repository with its own ports, every
 * one peered with every other (each is started peered with those before it; Peering connects both
 * ways). Stops all on failure.
 */
export async function startKuboNetwork(labels: readonly string[]): Promise<StartedKubo[]> {
  const started: StartedKubo[] = [];
  try {
    for (const label of labels) {
      started.push(await startKubo({ online: true, peers: [...started], label }));
    }
    return started;
  } catch (err) {
    await Promise.allSettled(started.map((node) => node.stop()));
    throw err;
  }
}
