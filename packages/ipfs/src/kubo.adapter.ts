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
  type NetworkRead,
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

/**
 * A watchdog for a read that goes to the network: it aborts once `timeoutMs` pass without
 * `progress()`, so a transfer of any length runs as long as blocks keep arriving but a CID nobody
 * serves ends after a bounded wait.
 */
class Stall {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  readonly signal: AbortSignal;
  readonly started = performance.now();

  constructor(
    private readonly timeoutMs: number,
    outer?: AbortSignal,
  ) {
    this.signal = outer ? AbortSignal.any([this.controller.signal, outer]) : this.controller.signal;
    this.progress();
  }

  get fired(): boolean {
    return this.controller.signal.aborted;
  }

  progress(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(), this.timeoutMs);
  }

  done(): void {
    clearTimeout(this.timer);
  }

  notFound(cid: string, cause: unknown): IpfsNotFoundError {
    return new IpfsNotFoundError(cid, { cause, searchedMs: performance.now() - this.started });
  }
}

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
  let selfId: string | undefined;
  const ownId = async (): Promise<string> => (selfId ??= (await client.id()).id.toString());

  /**
   * Dials the peers named as likely holders. `/p2p/<id>` makes Kubo look the peer's addresses up
   * through routing (the LAN DHT on a loopback network) before dialling. A peer that cannot be
   * reached is not an error: the blocks may still come from another connected peer.
   */
  const connectTo = async (network: NetworkRead, signal: AbortSignal): Promise<void> => {
    const self = await ownId();
    await Promise.all(
      (network.peers ?? [])
        .filter((peer) => peer !== '' && peer !== self && /^[1-9A-HJ-NP-Za-km-z]+$/.test(peer))
        .map(async (peer) => {
          const url = new URL('/api/v0/swarm/connect', options.url);
          url.searchParams.set('arg', `/p2p/${peer}`);
          await fetch(url, { method: 'POST', signal }).then(
            (res) => res.body?.cancel(),
            () => undefined,
          );
        }),
    );
  };

  const statOf = async (parsed: CID, cid: string, network?: NetworkRead): Promise<FileStat> => {
    const stall = network ? new Stall(network.timeoutMs) : undefined;
    try {
      if (network && stall) await connectTo(network, stall.signal);
      const statOptions: FilesStatOptions & { offline: boolean } = {
        offline: !network,
        ...(stall ? { signal: stall.signal } : {}),
      };
      const stat = await client.files.stat(`/ipfs/${parsed.toString()}`, statOptions);
      return { cid: parsed.toString(), size: Number(stat.size) };
    } catch (err) {
      if (stall?.fired) throw stall.notFound(cid, err);
      throw mapError(cid, err);
    } finally {
      stall?.done();
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
      const { size } = await statOf(parsed, cid, opts.network);
      const offset = Math.min(opts.offset ?? 0, size);
      const expected = Math.min(opts.length ?? Infinity, size - offset);
      const stall = opts.network ? new Stall(opts.network.timeoutMs, opts.signal) : undefined;
      const signal = stall?.signal ?? opts.signal;
      const catOptions: CatOptions & { offline: boolean } = {
        offline: !opts.network,
        ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
        ...(opts.length !== undefined ? { length: opts.length } : {}),
        ...(signal ? { signal } : {}),
      };
      let received = 0;
      try {
        for await (const chunk of client.cat(parsed, catOptions)) {
          received += chunk.byteLength;
          // Only arriving bytes hold the watchdog off, not the time the consumer takes.
          stall?.done();
          yield chunk;
          stall?.progress();
        }
      } catch (err) {
        if (stall?.fired) throw stall.notFound(cid, err);
        throw mapError(cid, err);
      } finally {
        stall?.done();
      }
      if (received < expected) {
        throw new IpfsNotFoundError(cid, {
          cause: new Error(`Kubo ended the stream after ${received} of ${expected} bytes`),
        });
      }
    },

    async pin(cid, opts = {}) {
      const parsed = parseCid(cid);
      if (opts.network) {
        // `refs -r` fetches every block of the DAG and names each as it arrives: progress for
        // the watchdog, which a bare `pin add` (one answer at the end) cannot give.
        const stall = new Stall(opts.network.timeoutMs);
        try {
          await connectTo(opts.network, stall.signal);
          for await (const ref of client.refs(parsed, { recursive: true, signal: stall.signal })) {
            if (ref.err) throw ref.err instanceof Error ? ref.err : new Error(String(ref.err));
            stall.progress();
          }
        } catch (err) {
          if (stall.fired) throw stall.notFound(cid, err);
          throw mapError(cid, err);
        } finally {
          stall.done();
        }
      }
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

    async stat(cid, opts = {}): Promise<FileStat> {
      return statOf(parseCid(cid), cid, opts.network);
    },

    async peerId() {
      // Asked afresh each time: the health check relies on this reaching the daemon.
      selfId = (await client.id()).id.toString();
      return selfId;
    },

    async close() {
      // Each call is a stateless HTTP request; there is no connection to release.
    },
  };
}
