import { join } from 'node:path';
import { unixfs } from '@helia/unixfs';
import { loadOrCreateSelfKey } from '@libp2p/config';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { FsBlockstore } from 'blockstore-fs';
import { FsDatastore } from 'datastore-fs';
import { createHeliaLight, type AddOptions as PinAddOptions } from 'helia';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';
import { createUnsafe } from 'multiformats/block';
import type { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import {
  IpfsNotFoundError,
  UNIXFS_IMPORT,
  countBytes,
  parseCid,
  type AddedFile,
  type FileStat,
  type IpfsPort,
} from './ipfs-port.js';

export interface HeliaIpfsOptions {
  /** Blocks go to `<directory>/blocks`, pins and the node key to `<directory>/datastore`. */
  readonly directory: string;
}

/**
 * Error names Helia and its stores use for "this block is not here". With no block brokers every
 * one of them is final: there is nowhere else to look.
 */
const NOT_FOUND_NAMES = new Set([
  'NotFoundError',
  'BlockNotFoundWhileOfflineError',
  'LoadBlockFailedError',
  'InvalidConfigurationError',
]);

const errorName = (err: unknown): string | undefined =>
  err instanceof Error ? err.name : undefined;

function mapError(cid: string, err: unknown): unknown {
  const name = errorName(err);
  if (name !== undefined && NOT_FOUND_NAMES.has(name)) {
    return new IpfsNotFoundError(cid, { cause: err });
  }
  return err;
}

async function drain(source: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of source) {
    // consume
  }
}

/**
 * Embedded Helia on the local disk, with no networking at all.
 *
 * `createHeliaLight` is Helia's node without libp2p, bitswap, HTTP gateways or routers (since
 * Helia 7 networking is opt-in via `withLibp2p`/`withBitswap`/`withHTTP`, ipfs/helia#1049), so it
 * opens no sockets, dials no bootstrap peers and needs no DNS. Every read also passes
 * `offline: true`, so a missing block fails immediately with BlockNotFoundWhileOfflineError.
 * A read that allows the network (`ReadOptions.network`) is therefore answered the same way: this
 * node has no peers to ask, and says so at once rather than after the timeout.
 *
 * The peer id is the libp2p "self" key that `@helia/libp2p` would load: it is created on first
 * start, kept in the datastore's keychain, and therefore stable across restarts of the same
 * directory (and the same one a networked Helia would use on this directory later).
 *
 * One directory must be opened by one instance at a time.
 */
export async function createHeliaIpfs(options: HeliaIpfsOptions): Promise<IpfsPort> {
  const blockstore = new FsBlockstore(join(options.directory, 'blocks'));
  const datastore = new FsDatastore(join(options.directory, 'datastore'));
  await blockstore.open();
  await datastore.open();

  const helia = createHeliaLight({ blockstore, datastore });
  let peerId: string;
  try {
    await helia.start();
    peerId = peerIdFromPrivateKey(await loadOrCreateSelfKey(datastore)).toString();
  } catch (err) {
    await helia.stop().catch(() => undefined);
    await Promise.allSettled([blockstore.close(), datastore.close()]);
    throw err;
  }
  const fs = unixfs(helia);

  /**
   * Pinning a DAG with a missing block makes Helia's graph walker reject a promise nobody handles
   * (an unhandled rejection ends a Node process), so the whole DAG is checked here first. Only
   * interior nodes are read; raw leaves, which hold the file data, are just looked up.
   */
  const assertDagIsLocal = async (root: CID, cid: string): Promise<void> => {
    const pending: CID[] = [root];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      if (!(await helia.blockstore.has(next))) {
        throw new IpfsNotFoundError(cid, {
          cause: new Error(`block ${next.toString()} is missing`),
        });
      }
      if (next.code === raw.code) continue;
      const parts: Uint8Array[] = [];
      for await (const part of helia.blockstore.get(next, { offline: true })) parts.push(part);
      const codec = await helia.getCodec(next.code);
      const block = createUnsafe({ cid: next, bytes: Buffer.concat(parts), codec });
      for (const [, link] of block.links()) pending.push(link);
    }
  };

  const isPinRoot = async (cid: CID): Promise<boolean> => {
    try {
      await helia.pins.get(cid);
      return true;
    } catch (err) {
      if (errorName(err) === 'NotFoundError') return false;
      throw err;
    }
  };

  return {
    async add(source, opts = {}): Promise<AddedFile> {
      const counter = { bytes: 0 };
      const cid = await fs.addByteStream(countBytes(source, counter, opts.signal), {
        cidVersion: UNIXFS_IMPORT.cidVersion,
        rawLeaves: UNIXFS_IMPORT.rawLeaves,
        chunker: fixedSize({ chunkSize: UNIXFS_IMPORT.chunkSize }),
        layout: balanced({ maxChildrenPerNode: UNIXFS_IMPORT.maxChildrenPerNode }),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      return { cid: cid.toString(), size: counter.bytes };
    },

    async *cat(cid, opts = {}) {
      const parsed = parseCid(cid);
      try {
        yield* fs.cat(parsed, {
          offline: true,
          ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
          ...(opts.length !== undefined ? { length: opts.length } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } catch (err) {
        throw mapError(cid, err);
      }
    },

    async pin(cid) {
      const parsed = parseCid(cid);
      if (await isPinRoot(parsed)) return;
      await assertDagIsLocal(parsed, cid);
      // `offline` is not in Helia's pin option types but is handed to every block read of the
      // walk, so a block that vanished since the check fails instead of being looked for.
      const pinOptions: PinAddOptions & { offline: true } = { offline: true };
      try {
        await drain(helia.pins.add(parsed, pinOptions));
      } catch (err) {
        if (errorName(err) === 'AlreadyPinnedError') return;
        throw mapError(cid, err);
      }
    },

    async unpin(cid) {
      const parsed = parseCid(cid);
      try {
        await drain(helia.pins.rm(parsed));
      } catch (err) {
        if (errorName(err) === 'NotFoundError') return;
        throw err;
      }
    },

    async isPinned(cid) {
      return isPinRoot(parseCid(cid));
    },

    async stat(cid): Promise<FileStat> {
      const parsed = parseCid(cid);
      try {
        const stat = await fs.stat(parsed, { offline: true });
        return { cid: parsed.toString(), size: Number(stat.size) };
      } catch (err) {
        throw mapError(cid, err);
      }
    },

    async peerId() {
      return peerId;
    },

    async close() {
      try {
        await helia.stop();
      } finally {
        await Promise.allSettled([blockstore.close(), datastore.close()]);
      }
    },
  };
}
