import {
  create,
  type CatOptions,
  type FilesStatOptions,
  type KuboRPCClient,
} from 'kubo-rpc-client';
import type { CID } from 'multiformats/cid';
import {
  IpfsNotFoundError,
  countBytes,
  parseCid,
  type AddedFile,
  type FileStat,
  type IpfsPort,
} from './ipfs-port.js';
import { streamingAdd } from './kubo-add.js';

export interface KuboIpfsOptions {
  /** Kubo RPC API base URL, e.g. http://127.0.0.1:5001 */
  readonly url: string;
}

/**
 * Kubo's global `offline` flag: reads and pins are answered from the local repo only, so a CID
 * Kubo does not hold fails at once ("block was not found locally (offline)") instead of waiting
 * on a DHT/bitswap search, even when the daemon itself is online.
 */
const LOCAL_ONLY = { offline: true } as const;

const isNotFoundMessage = (message: string): boolean =>
  /not found locally|could not find|no link named/i.test(message);

const isNotPinnedMessage = (message: string): boolean => /not pinned/i.test(message);

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function mapError(cid: string, err: unknown): unknown {
  if (isNotFoundMessage(messageOf(err))) return new IpfsNotFoundError(cid, { cause: err });
  return err;
}

export function createKuboIpfs(options: KuboIpfsOptions): IpfsPort {
  const client: KuboRPCClient = create({ url: options.url });

  const statOf = async (parsed: CID, cid: string): Promise<FileStat> => {
    try {
      const statOptions: FilesStatOptions & typeof LOCAL_ONLY = { ...LOCAL_ONLY };
      const stat = await client.files.stat(`/ipfs/${parsed.toString()}`, statOptions);
      return { cid: parsed.toString(), size: Number(stat.size) };
    } catch (err) {
      throw mapError(cid, err);
    }
  };

  return {
    async add(source, opts = {}): Promise<AddedFile> {
      const counter = { bytes: 0 };
      // The client turns a failing source into a bare AbortError; keep the real cause to rethrow.
      let sourceFailed = false;
      let sourceError: unknown;
      const content = (async function* () {
        try {
          yield* countBytes(source, counter, opts.signal);
        } catch (err) {
          sourceFailed = true;
          sourceError = err;
          throw err;
        }
      })();
      try {
        const cid = await streamingAdd(options.url, content, opts.signal);
        return { cid, size: counter.bytes };
      } catch (err) {
        if (sourceFailed) throw sourceError;
        throw err;
      }
    },

    async *cat(cid, opts = {}) {
      const parsed = parseCid(cid);
      // Kubo answers 200 and starts streaming before it has every block; a block missing halfway
      // only shows up in an HTTP trailer (X-Stream-Error) that fetch cannot read, and the body just
      // ends early. Knowing the file size up front turns that short read into an error.
      const { size } = await statOf(parsed, cid);
      const offset = Math.min(opts.offset ?? 0, size);
      const expected = Math.min(opts.length ?? Infinity, size - offset);
      const catOptions: CatOptions & typeof LOCAL_ONLY = {
        ...LOCAL_ONLY,
        ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
        ...(opts.length !== undefined ? { length: opts.length } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      };
      let received = 0;
      try {
        for await (const chunk of client.cat(parsed, catOptions)) {
          received += chunk.byteLength;
          yield chunk;
        }
      } catch (err) {
        throw mapError(cid, err);
      }
      if (received < expected) {
        throw new IpfsNotFoundError(cid, {
          cause: new Error(`Kubo ended the stream after ${received} of ${expected} bytes`),
        });
      }
    },

    async pin(cid) {
      const parsed = parseCid(cid);
      try {
        await client.pin.add(parsed, { recursive: true, ...LOCAL_ONLY });
      } catch (err) {
        throw mapError(cid, err);
      }
    },

    async unpin(cid) {
      const parsed = parseCid(cid);
      try {
        await client.pin.rm(parsed, { recursive: true });
      } catch (err) {
        if (isNotPinnedMessage(messageOf(err))) return;
        throw err;
      }
    },

    async isPinned(cid) {
      const parsed = parseCid(cid);
      try {
        for await (const pin of client.pin.ls({ paths: parsed, type: 'recursive' })) {
          if (pin.cid.equals(parsed)) return true;
        }
        return false;
      } catch (err) {
        if (isNotPinnedMessage(messageOf(err))) return false;
        throw err;
      }
    },

    async stat(cid): Promise<FileStat> {
      return statOf(parseCid(cid), cid);
    },

    async peerId() {
      const { id } = await client.id();
      return id.toString();
    },

    async close() {
      // Each call is a stateless HTTP request; there is no connection to release.
    },
  };
}
