import { createHeliaIpfs } from './helia.adapter.js';
import type { IpfsPort } from './ipfs-port.js';
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
} from './ipfs-port.js';
export { createKuboIpfs, type KuboIpfsOptions } from './kubo.adapter.js';
export { createHeliaIpfs, type HeliaIpfsOptions } from './helia.adapter.js';

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
