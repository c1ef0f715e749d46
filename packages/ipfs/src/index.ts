import type { HeliaIpfsOptions } from './helia.adapter.js';
import type { IpfsPort, IpfsReader } from './ipfs-port.js';
import { join } from 'node:path';
import { createKuboIpfs } from './kubo.adapter.js';

export {
  IpfsInvalidCidError,
  IpfsNotFoundError,
  UNIXFS_IMPORT,
  type AddOptions,
  type AddedFile,
  type CatOptions,
  type FileStat,
  type IpfsPort,
  type IpfsReader,
  type NetworkRead,
  type ReadOptions,
} from './ipfs-port.js';
export { createKuboIpfs, type KuboIpfsOptions } from './kubo.adapter.js';
export type { HeliaIpfsOptions } from './helia.adapter.js';

/**
 * The embedded Helia node, loaded only when asked for: libp2p and Helia take some 130 MiB just
 * to import, which a process talking to Kubo (an agent sealing masters) should not carry.
 */
export async function createHeliaIpfs(options: HeliaIpfsOptions): Promise<IpfsPort> {
  const { createHeliaIpfs: create } = await import('./helia.adapter.js');
  return create(options);
}

export interface IpfsConfig {
  /** Kubo RPC API URL; when set, Kubo is used and `directory` is ignored. */
  readonly apiUrl?: string;
  /** Where the embedded Helia node keeps its blocks and datastore. */
  readonly directory: string;
}

/** Kubo when an API URL is configured, otherwise an embedded, offline Helia node on disk. */
export async function createIpfs(config: IpfsConfig): Promise<IpfsPort> {
  if (config.apiUrl) return createKuboIpfs({ url: config.apiUrl });
  return createHeliaIpfs({ directory: config.directory });
}

/** Where the platform's embedded Helia node keeps its blocks under a DATA_DIR. */
export const embeddedIpfsDirectory = (dataDir: string): string =>
  join(dataDir, 'ipfs-worker', 'helia');

/**
 * Reading files only: Kubo when an API URL is configured, otherwise the blockstore of the embedded
 * node another process of this machine runs in `directory` (loaded lazily, as Helia is).
 */
export async function createIpfsReader(config: IpfsConfig): Promise<IpfsReader> {
  if (config.apiUrl) return createKuboIpfs({ url: config.apiUrl });
  const { createBlockstoreReader } = await import('./blockstore-reader.js');
  return createBlockstoreReader({ directory: config.directory });
}
