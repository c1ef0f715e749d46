import { randomBytes } from 'node:crypto';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpfsInvalidCidError, IpfsNotFoundError, type IpfsPort } from '../src/index.js';
import {
  collect,
  generatedBytes,
  noBytes,
  piecesOf,
  pseudoRandomBytes,
  sameBytes,
} from './bytes.js';

export type IpfsPortFactory = () => Promise<IpfsPort>;

const CHUNK = 262_144;
/** ~1.3 MiB: five full 256 KiB chunks plus a partial sixth. */
const MULTI_SIZE = 1_363_149;
/** What "promptly" means for content that is not held locally. */
const PROMPT_MS = 5_000;
const DAG_PB = 0x70;

const rawCidOf = async (bytes: Uint8Array): Promise<string> =>
  CID.createV1(raw.code, await sha256.digest(bytes)).toString();

/** Well-formed CIDs of blocks nobody has: a raw leaf and a dag-pb (file root) node. */
const absentCids = async (): Promise<string[]> => [
  CID.createV1(raw.code, await sha256.digest(randomBytes(32))).toString(),
  CID.createV1(DAG_PB, await sha256.digest(randomBytes(32))).toString(),
];

const MALFORMED = [
  '',
  'not-a-cid',
  'bafy',
  'Qm123',
  'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquv!ku',
];

async function timed<T>(
  work: () => Promise<T>,
): Promise<{ result: PromiseSettledResult<T>; ms: number }> {
  const started = performance.now();
  const [result] = await Promise.allSettled([work()]);
  return { result: result!, ms: performance.now() - started };
}

function rejection(result: PromiseSettledResult<unknown>): unknown {
  if (result.status === 'fulfilled') throw new Error('expected the call to fail, it succeeded');
  return result.reason;
}

/**
 * The behaviour every IpfsPort must share. Each adapter's test file runs it against a real
 * backend; nothing here is mocked.
 */
export function describeIpfsPort(name: string, factory: IpfsPortFactory): void {
  describe(`IpfsPort conformance: ${name}`, () => {
    let ipfs: IpfsPort;
    const data = pseudoRandomBytes(MULTI_SIZE, 7);
    let dataCid: string;

    beforeAll(async () => {
      ipfs = await factory();
      dataCid = (await ipfs.add(piecesOf(data, 100_003))).cid;
    });

    afterAll(async () => {
      await ipfs?.close();
    });

    it('reports a stable peer id', async () => {
      const first = await ipfs.peerId();
      expect(first).toMatch(/^(12D3Koo|Qm)[1-9A-HJ-NP-Za-km-z]+$/);
      expect(await ipfs.peerId()).toBe(first);
    });

    describe('add', () => {
      it('turns a multi-chunk stream into a CIDv1 dag-pb root and reports the content size', async () => {
        const added = await ipfs.add(piecesOf(data, 100_003));
        expect(added.size).toBe(MULTI_SIZE);
        expect(added.cid).toBe(dataCid);
        const cid = CID.parse(added.cid);
        expect(cid.version).toBe(1);
        expect(cid.code).toBe(DAG_PB);
      });

      it('gives the same CID however the input stream is cut', async () => {
        for (const pieceSize of [CHUNK + 1, 7_777, MULTI_SIZE]) {
          expect((await ipfs.add(piecesOf(data, pieceSize))).cid).toBe(dataCid);
        }
        const small = data.subarray(0, 3_000);
        const whole = await ipfs.add(piecesOf(small, small.length));
        expect((await ipfs.add(piecesOf(small, 1))).cid).toBe(whole.cid);
      });

      it('stores an empty file as the empty raw block', async () => {
        const added = await ipfs.add(noBytes());
        expect(added).toEqual({ cid: await rawCidOf(new Uint8Array()), size: 0 });
        expect((await collect(ipfs.cat(added.cid))).bytes.length).toBe(0);
        expect(await ipfs.stat(added.cid)).toEqual({ cid: added.cid, size: 0 });
      });

      it('stores a one-byte file as a single raw leaf', async () => {
        const one = Uint8Array.of(0x2a);
        const added = await ipfs.add(piecesOf(one, 1));
        expect(added).toEqual({ cid: await rawCidOf(one), size: 1 });
        expect(sameBytes((await collect(ipfs.cat(added.cid))).bytes, one)).toBe(true);
        expect(await ipfs.stat(added.cid)).toEqual({ cid: added.cid, size: 1 });
      });

      it('pulls the source lazily, so consumed input can be garbage-collected', async () => {
        const gc = globalThis.gc;
        if (!gc) throw new Error('this test needs node --expose-gc (see vitest.config.ts)');
        const pieceSize = 1 << 20;
        const pieceCount = 64;
        const refs: WeakRef<Uint8Array>[] = [];
        const alive = () => refs.filter((ref) => ref.deref() !== undefined).length;
        let mostAlive = 0;
        const source = async function* () {
          const input = generatedBytes(pieceCount * pieceSize, 99, pieceSize, (piece) => {
            refs.push(new WeakRef(piece));
          });
          for await (const piece of input) {
            yield piece;
            if (refs.length % 8 === 0) {
              gc();
              mostAlive = Math.max(mostAlive, alive());
            }
          }
        };

        const added = await ipfs.add(source());

        expect(added.size).toBe(pieceCount * pieceSize);
        expect(refs).toHaveLength(pieceCount);
        // An adapter that collected the input first would keep all 64 pieces reachable.
        expect(mostAlive).toBeLessThanOrEqual(pieceCount / 4);
      });

      it("rejects with the source's own error when the source fails", async () => {
        const failing = async function* () {
          yield* piecesOf(data.subarray(0, CHUNK * 2), 65_536);
          throw new Error('source broke');
        };
        await expect(ipfs.add(failing())).rejects.toThrow('source broke');
      });

      it('rejects when its signal is already aborted', async () => {
        const controller = new AbortController();
        controller.abort();
        await expect(
          ipfs.add(piecesOf(data, 65_536), { signal: controller.signal }),
        ).rejects.toThrow();
      });
    });

    describe('cat', () => {
      it('streams the whole file back in more than one piece', async () => {
        const { bytes, pieces } = await collect(ipfs.cat(dataCid));
        expect(bytes.length).toBe(MULTI_SIZE);
        expect(sameBytes(bytes, data)).toBe(true);
        expect(pieces).toBeGreaterThan(1);
      });

      const ranges: { offset?: number; length?: number }[] = [
        { offset: 0, length: 10 },
        { offset: 0, length: CHUNK },
        { offset: CHUNK - 1, length: 2 },
        { offset: CHUNK - 4, length: CHUNK * 2 + 8 },
        { offset: CHUNK * 2, length: CHUNK },
        { offset: 1_000_000 },
        { offset: 12_345, length: MULTI_SIZE * 2 },
        { offset: MULTI_SIZE - 1 },
        { offset: MULTI_SIZE - 1, length: 1 },
        { length: 1_000 },
        { offset: 5_000, length: 0 },
      ];
      it.each(ranges)('reads offset $offset length $length', async ({ offset, length }) => {
        const start = offset ?? 0;
        const end = length === undefined ? MULTI_SIZE : Math.min(start + length, MULTI_SIZE);
        const { bytes } = await collect(ipfs.cat(dataCid, { offset, length }));
        expect(bytes.length).toBe(end - start);
        expect(sameBytes(bytes, data.subarray(start, end))).toBe(true);
      });
    });

    describe('pins', () => {
      it('pins, reports and unpins; pin and unpin are idempotent', async () => {
        const added = await ipfs.add(piecesOf(pseudoRandomBytes(CHUNK * 3 + 5, 11), 50_000));
        expect(await ipfs.isPinned(added.cid)).toBe(false);

        await ipfs.pin(added.cid);
        expect(await ipfs.isPinned(added.cid)).toBe(true);
        await ipfs.pin(added.cid);
        expect(await ipfs.isPinned(added.cid)).toBe(true);

        await ipfs.unpin(added.cid);
        expect(await ipfs.isPinned(added.cid)).toBe(false);
        await expect(ipfs.unpin(added.cid)).resolves.toBeUndefined();
      });

      it('treats unpinning a CID that was never pinned as a no-op', async () => {
        const added = await ipfs.add(piecesOf(pseudoRandomBytes(1_000, 12), 1_000));
        await expect(ipfs.unpin(added.cid)).resolves.toBeUndefined();
        expect(await ipfs.isPinned(added.cid)).toBe(false);
      });

      it('pins a single raw block file', async () => {
        const added = await ipfs.add(piecesOf(pseudoRandomBytes(10, 13), 10));
        await ipfs.pin(added.cid);
        expect(await ipfs.isPinned(added.cid)).toBe(true);
        await ipfs.unpin(added.cid);
        expect(await ipfs.isPinned(added.cid)).toBe(false);
      });
    });

    describe('stat', () => {
      it('reports the file size of a multi-chunk file', async () => {
        expect(await ipfs.stat(dataCid)).toEqual({ cid: dataCid, size: MULTI_SIZE });
      });
    });

    describe('content that is not held locally', () => {
      const expectNotFound = async (cid: string, work: () => Promise<unknown>) => {
        const { result, ms } = await timed(work);
        const err = rejection(result);
        expect(err).toBeInstanceOf(IpfsNotFoundError);
        expect((err as IpfsNotFoundError).cid).toBe(cid);
        expect((err as IpfsNotFoundError).cause).toBeDefined();
        expect(ms).toBeLessThan(PROMPT_MS);
      };

      it('fails cat promptly with IpfsNotFoundError', async () => {
        for (const cid of await absentCids()) {
          await expectNotFound(cid, () => collect(ipfs.cat(cid)));
        }
      });

      it('fails stat promptly with IpfsNotFoundError', async () => {
        for (const cid of await absentCids()) {
          await expectNotFound(cid, () => ipfs.stat(cid));
        }
      });

      it('fails pin promptly with IpfsNotFoundError and leaves nothing pinned', async () => {
        for (const cid of await absentCids()) {
          await expectNotFound(cid, () => ipfs.pin(cid));
          expect(await ipfs.isPinned(cid)).toBe(false);
        }
      });

      it('answers isPinned and unpin without error', async () => {
        for (const cid of await absentCids()) {
          expect(await ipfs.isPinned(cid)).toBe(false);
          await expect(ipfs.unpin(cid)).resolves.toBeUndefined();
        }
      });
    });

    describe('reads that may use the network', () => {
      const network = { timeoutMs: 2_000, peers: [] };

      it('serve content held here as local reads do', async () => {
        expect(sameBytes((await collect(ipfs.cat(dataCid, { network }))).bytes, data)).toBe(true);
        const { bytes } = await collect(ipfs.cat(dataCid, { network, offset: CHUNK, length: 9 }));
        expect(sameBytes(bytes, data.subarray(CHUNK, CHUNK + 9))).toBe(true);
        expect(await ipfs.stat(dataCid, { network })).toEqual({ cid: dataCid, size: MULTI_SIZE });
        await ipfs.pin(dataCid, { network });
        expect(await ipfs.isPinned(dataCid)).toBe(true);
        await ipfs.unpin(dataCid);
      });

      it('give up on content nobody serves with IpfsNotFoundError within the timeout', async () => {
        for (const cid of await absentCids()) {
          for (const work of <(() => Promise<unknown>)[]>[
            () => collect(ipfs.cat(cid, { network })),
            () => ipfs.stat(cid, { network }),
            () => ipfs.pin(cid, { network }),
          ]) {
            const { result, ms } = await timed(work);
            const err = rejection(result);
            expect(err).toBeInstanceOf(IpfsNotFoundError);
            expect((err as IpfsNotFoundError).cid).toBe(cid);
            expect(ms).toBeLessThan(network.timeoutMs + PROMPT_MS);
          }
          expect(await ipfs.isPinned(cid)).toBe(false);
        }
      });
    });

    describe('malformed CIDs', () => {
      it.each(MALFORMED)('rejects %j with IpfsInvalidCidError everywhere', async (bad) => {
        const calls: (() => Promise<unknown>)[] = [
          () => collect(ipfs.cat(bad)),
          () => ipfs.stat(bad),
          () => ipfs.pin(bad),
          () => ipfs.unpin(bad),
          () => ipfs.isPinned(bad),
        ];
        for (const call of calls) {
          const { result } = await timed(call);
          const err = rejection(result);
          expect(err).toBeInstanceOf(IpfsInvalidCidError);
          expect((err as IpfsInvalidCidError).cid).toBe(bad);
        }
      });
    });
  });
}
