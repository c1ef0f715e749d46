import type { UnixFS } from '@helia/unixfs';
import type { FsBlockstore } from 'blockstore-fs';
import { join } from 'node:path';
import { IpfsNotFoundError, parseCid, type FileStat, type IpfsReader } from './ipfs-port.js';

const NOT_FOUND_NAMES = new Set(['NotFoundError', 'LoadBlockFailedError']);

const mapError = (cid: string, err: unknown): unknown =>
  err instanceof Error && NOT_FOUND_NAMES.has(err.name)
    ? new IpfsNotFoundError(cid, { cause: err })
    : err;

/**
 * Reads files out of the blockstore an embedded Helia node (createHeliaIpfs) keeps on this
 * machine, while that node runs in another process. The blockstore writes each block to a
 * temporary file and renames it into place, so a reader sees a block whole or not at all; the
 * reader never writes: no pins, no datastore, nothing the owning node could find changed.
 */
export function createBlockstoreReader(options: {
  /** The embedded node's directory (its `blocks` folder is read). */
  readonly directory: string;
}): IpfsReader {
  let blockstore: FsBlockstore | undefined;
  // Opened at the first read: the node that writes the blocks may start after this process, a
  // reader must not create its folders, and a gateway nobody downloads from need not load the
  // UnixFS code (some 40 MiB).
  const open = async (): Promise<UnixFS> => {
    const [{ unixfs }, { FsBlockstore }] = await Promise.all([
      import('@helia/unixfs'),
      import('blockstore-fs'),
    ]);
    blockstore = new FsBlockstore(join(options.directory, 'blocks'), { createIfMissing: false });
    await blockstore.open();
    return unixfs({ blockstore });
  };
  let opened: Promise<UnixFS> | undefined;
  const files = async (cid: string): Promise<UnixFS> => {
    opened ??= open();
    try {
      return await opened;
    } catch (err) {
      opened = undefined;
      throw new IpfsNotFoundError(cid, { cause: err });
    }
  };
  return {
    async *cat(cid, opts = {}) {
      const parsed = parseCid(cid);
      const fs = await files(cid);
      try {
        yield* fs.cat(parsed, {
          ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
          ...(opts.length !== undefined ? { length: opts.length } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } catch (err) {
        throw mapError(cid, err);
      }
    },
    async stat(cid): Promise<FileStat> {
      const parsed = parseCid(cid);
      const fs = await files(cid);
      try {
        const stat = await fs.stat(parsed);
        return { cid: parsed.toString(), size: Number(stat.size) };
      } catch (err) {
        throw mapError(cid, err);
      }
    },
    close: async () => {
      await opened?.catch(() => undefined);
      await blockstore?.close().catch(() => undefined);
    },
  };
}
