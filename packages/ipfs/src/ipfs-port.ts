import { CID } from 'multiformats/cid';

export interface AddedFile {
  /** CIDv1, base32. */
  readonly cid: string;
  /** Bytes of file content (not the size of the DAG that holds it). */
  readonly size: number;
}

export interface FileStat {
  readonly cid: string;
  /** File size in bytes. */
  readonly size: number;
}

export interface AddOptions {
  readonly signal?: AbortSignal;
}

/**
 * Reading from other nodes. Without it every read is local-only and fails fast; with it a read of
 * content this node does not hold first connects to `peers` (peer ids of nodes likely to hold it,
 * found through routing), then asks its connected peers and routing for the blocks, and gives up
 * with IpfsNotFoundError once `timeoutMs` pass without a block arriving.
 */
export interface NetworkRead {
  readonly timeoutMs: number;
  readonly peers?: readonly string[];
}

export interface ReadOptions {
  /** Absent: local only (the platform's own pins, garbage collection, anything it must hold). */
  readonly network?: NetworkRead;
}

export interface CatOptions extends ReadOptions {
  readonly offset?: number;
  readonly length?: number;
  readonly signal?: AbortSignal;
}

/**
 * The one place the rest of the system talks to IPFS. Implementations must give the same CID for
 * the same bytes (see UNIXFS_IMPORT) and stream in both directions. Reads are local-only unless
 * the caller passes `network` (ReadOptions): a CID whose blocks are not present then fails fast
 * with IpfsNotFoundError instead of searching the network, so a missing master surfaces as an
 * error rather than a hung request. With `network` the wait is bounded by its `timeoutMs`.
 *
 * `add` stores without pinning; call `pin` to protect content from garbage collection.
 * `isPinned` is true only for CIDs passed to `pin` (recursive pin roots), not for blocks that are
 * merely reachable from another pin.
 */
export interface IpfsPort {
  add(source: AsyncIterable<Uint8Array>, opts?: AddOptions): Promise<AddedFile>;
  cat(cid: string, opts?: CatOptions): AsyncIterable<Uint8Array>;
  /** With `network`, the blocks not held here are fetched first, then the whole DAG is pinned. */
  pin(cid: string, opts?: ReadOptions): Promise<void>;
  /** Removing a pin that does not exist is a no-op. */
  unpin(cid: string): Promise<void>;
  isPinned(cid: string): Promise<boolean>;
  stat(cid: string, opts?: ReadOptions): Promise<FileStat>;
  peerId(): Promise<string>;
  close(): Promise<void>;
}

/** What a process that only serves files needs of IPFS (the gateway's downloads). */
export type IpfsReader = Pick<IpfsPort, 'cat' | 'stat' | 'close'>;

/**
 * How files become DAGs. These are Kubo's defaults for `--cid-version=1` (raw leaves, fixed
 * 256 KiB chunks, balanced layout with at most 174 links per node), spelled out so that a change
 * in either implementation's defaults or a Kubo `Import.*` config cannot make the two disagree.
 */
export const UNIXFS_IMPORT = {
  cidVersion: 1,
  rawLeaves: true,
  chunkSize: 262_144,
  maxChildrenPerNode: 174,
} as const;

export class IpfsNotFoundError extends Error {
  override readonly name = 'IpfsNotFoundError';
  readonly cid: string;

  /** `searchedMs`: how long the network was searched; absent for a local-only read. */
  constructor(cid: string, options?: { cause?: unknown; searchedMs?: number }) {
    super(
      options?.searchedMs === undefined
        ? `${cid} is not available in the local IPFS store`
        : `${cid} was not found on the IPFS network within ${Math.round(options.searchedMs / 1000)} s`,
      options,
    );
    this.cid = cid;
  }
}

export class IpfsInvalidCidError extends Error {
  override readonly name = 'IpfsInvalidCidError';
  readonly cid: string;

  constructor(cid: string, options?: { cause?: unknown }) {
    super(`${JSON.stringify(cid)} is not a valid CID`, options);
    this.cid = cid;
  }
}

/** Parses before any I/O so both adapters reject malformed CIDs the same way. */
export function parseCid(cid: string): CID {
  try {
    return CID.parse(cid);
  } catch (err) {
    throw new IpfsInvalidCidError(cid, { cause: err });
  }
}

/**
 * Passes the bytes through unchanged while counting them, so `size` never needs a buffer. Checks
 * the signal between chunks, because neither importer stops pulling the source on abort by itself.
 */
export async function* countBytes(
  source: AsyncIterable<Uint8Array>,
  counter: { bytes: number },
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted();
  for await (const chunk of source) {
    signal?.throwIfAborted();
    counter.bytes += chunk.byteLength;
    yield chunk;
  }
}
