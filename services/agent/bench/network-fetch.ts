/**
 * A public block crossing from one Kubo daemon to another on loopback, as a licensee's agent
 * fetches it from the studio's node, against Kubo's own `ipfs get` of the same CID between the
 * same two daemons:
 *   fetch:     the agent's fetch path: createKuboIpfs(receiver).cat(cid, { network }) (dials the
 *              sender by its peer id, watchdog on arriving blocks) → byte counter → file
 *   ipfs get:  `ipfs get <cid> -o <file>` with IPFS_PATH of the receiving node (the CLI asks that
 *              running daemon, which fetches over bitswap and writes the file)
 * The two daemons run online, peered, loopback only (the test harness's startKubo). Before every
 * transfer the receiving node's garbage collector removes what the last one brought (nothing is
 * pinned there), and a local-only stat checks the block is really gone, so each round transfers
 * every block. One untimed transfer each first, then BENCH_ROUNDS rounds (default 5), the two in alternating order; prints the median
 * MB/s of each and their ratio. BENCH_NET_MB sets the block (MiB of random bytes, default 256).
 * Figures are printed, never asserted; the run fails only when the bytes differ.
 */
import { createKuboIpfs, IpfsNotFoundError } from '@media-vault/ipfs';
import { installHints, makeTempDir, requireBinary, startKubo } from '@media-vault/test-harness';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { byteCounter } from '../src/byte-counter.js';

const run = promisify(execFile);
const MiB = 2 ** 20;
const SIZE = Number(process.env.BENCH_NET_MB ?? 256) * MiB;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const IPFS_BIN = requireBinary('ipfs', installHints.ipfs);

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const progress = (line: string) => process.stderr.write(`${line}\n`);

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function* randomPieces(size: number, hash: ReturnType<typeof createHash>) {
  for (let offset = 0; offset < size; offset += 4 * MiB) {
    const piece = randomBytes(Math.min(4 * MiB, size - offset));
    hash.update(piece);
    yield piece;
  }
}

const dir = await makeTempDir('bench-network-fetch');
const receiverRepo = join(dir.path, 'receiver-repo');
const sender = await startKubo({ online: true, label: 'kubo-sender' });
const receiver = await startKubo({
  online: true,
  peers: [sender],
  repoDir: receiverRepo,
  label: 'kubo-receiver',
});
try {
  const from = createKuboIpfs({ url: sender.apiUrl });
  const to = createKuboIpfs({ url: receiver.apiUrl });
  const sourceHash = createHash('sha256');
  const { cid } = await from.add(randomPieces(SIZE, sourceHash));
  await from.pin(cid);
  const expected = sourceHash.digest('hex');
  const out = join(dir.path, 'out');
  const network = { timeoutMs: 60_000, peers: [sender.peerId] };

  /** Empties the receiver of the block, and proves it: a local-only stat must not find it. */
  const forget = async () => {
    const res = await fetch(`${receiver.apiUrl}/api/v0/repo/gc`, { method: 'POST' });
    if (!res.ok) throw new Error(`repo gc: ${res.status} ${await res.text()}`);
    await res.text();
    const held = await to.stat(cid).then(
      () => true,
      (err: unknown) => {
        if (err instanceof IpfsNotFoundError) return false;
        throw err;
      },
    );
    if (held) throw new Error('the receiving node still holds the block after gc');
  };

  const check = async (what: string) => {
    const size = (await stat(out)).size;
    if (size !== SIZE) throw new Error(`${what}: ${size} bytes, not ${SIZE}`);
    if ((await sha256OfFile(out)) !== expected) throw new Error(`${what}: sha256 differs`);
    await rm(out, { force: true });
  };

  const ways = {
    fetch: async () => {
      await pipeline(
        Readable.from(to.cat(cid, { network })),
        byteCounter(() => {}),
        createWriteStream(out),
      );
    },
    'ipfs get': async () => {
      await run(IPFS_BIN, ['get', cid, '-o', out], {
        env: { ...process.env, IPFS_PATH: receiverRepo },
        maxBuffer: 1 << 20,
      });
    },
  } as const;
  type Way = keyof typeof ways;
  const results: Record<Way, number[]> = { fetch: [], 'ipfs get': [] };

  progress(`block ${cid}: ${SIZE / MiB} MiB, ${ROUNDS} rounds`);
  // Untimed once each: the first transfer also pays for finding and dialling the sender.
  for (const way of Object.keys(ways) as Way[]) {
    await forget();
    await ways[way]();
    await check(way);
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order: Way[] = round % 2 === 0 ? ['fetch', 'ipfs get'] : ['ipfs get', 'fetch'];
    for (const way of order) {
      await forget();
      const started = performance.now();
      await ways[way]();
      const ms = performance.now() - started;
      await check(way);
      results[way].push(mbps(SIZE, ms));
      progress(`round ${round + 1} ${way}: ${mbps(SIZE, ms).toFixed(1)} MB/s`);
    }
  }

  console.log(
    `\nPublic block of ${SIZE / MiB} MiB between two Kubo ${sender.version} daemons on loopback, ${ROUNDS} rounds (median)\n`,
  );
  console.table(
    (Object.keys(results) as Way[]).map((way) => ({
      path: way,
      'median MB/s': Number(median(results[way]).toFixed(1)),
      'min MB/s': Number(Math.min(...results[way]).toFixed(1)),
      'max MB/s': Number(Math.max(...results[way]).toFixed(1)),
    })),
  );
  console.log(
    `fetch/ipfs get throughput ratio: ${(median(results.fetch) / median(results['ipfs get'])).toFixed(2)}`,
  );
} finally {
  await Promise.allSettled([receiver.stop(), sender.stop()]);
  await dir.remove();
}
