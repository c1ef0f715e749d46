import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidObjectKeyError,
  ObjectContentError,
  ObjectExistsError,
  ObjectNotFoundError,
  type ObjectStorePort,
} from '../src/index.js';

export type ObjectStoreFactory = () => Promise<ObjectStorePort>;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function* pieces(bytes: Uint8Array, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += size) yield bytes.subarray(at, at + size);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

async function keys(store: ObjectStorePort, prefix?: string): Promise<string[]> {
  const found: string[] = [];
  for await (const object of store.list(prefix)) found.push(object.key);
  return found.sort();
}

/** A source that yields some bytes, then fails, as a client that goes away does. */
async function* failingAfter(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
  throw new Error('client went away');
}

/** Every adapter of the object store port passes this suite unchanged. */
export function describeObjectStorePort(name: string, factory: ObjectStoreFactory): void {
  describe(`ObjectStorePort conformance: ${name}`, () => {
    let store: ObjectStorePort;
    // Each test writes under a prefix of its own, so the suite can share one store.
    let space: string;
    const key = (rest: string) => `${space}/${rest}`;

    beforeAll(async () => {
      store = await factory();
    });
    afterAll(async () => {
      await store?.close();
    });
    beforeAll(() => {
      space = `t-${randomUUID()}`;
    });

    // 1.3 MiB: several of any adapter's internal chunks, not a multiple of them.
    const big = randomBytes(1_363_149);

    it('streams an object in and out byte for byte, and states its size and digest', async () => {
      const put = await store.put(key('big'), pieces(big), {
        size: big.byteLength,
        sha256: sha256(big).toUpperCase(),
      });
      expect(put).toMatchObject({ key: key('big'), size: big.byteLength, sha256: sha256(big) });
      expect((await collect(store.get(key('big')))).equals(big)).toBe(true);
      const stat = await store.stat(key('big'));
      expect(stat).toMatchObject({ key: key('big'), size: big.byteLength, sha256: sha256(big) });
      expect(stat!.modified.getTime()).toBeGreaterThan(Date.now() - 60_000);
    });

    it('stores an empty object', async () => {
      const put = await store.put(key('empty'), pieces(new Uint8Array(0)), { size: 0 });
      expect(put.sha256).toBe(sha256(new Uint8Array(0)));
      expect((await collect(store.get(key('empty')))).byteLength).toBe(0);
    });

    it('reads ranges, including ones that end past the object', async () => {
      const k = key('ranged');
      await store.put(k, pieces(big));
      const cases: [number | undefined, number | undefined, number, number][] = [
        [0, 10, 0, 10],
        [1_000_000, 300_000, 1_000_000, 1_300_000],
        [big.byteLength - 5, 100, big.byteLength - 5, big.byteLength],
        [500_000, undefined, 500_000, big.byteLength],
        [undefined, 7, 0, 7],
        [big.byteLength, 10, big.byteLength, big.byteLength],
      ];
      for (const [offset, length, start, end] of cases) {
        const got = await collect(store.get(k, { offset, length }));
        expect(got.equals(big.subarray(start, end)), `offset ${offset} length ${length}`).toBe(
          true,
        );
      }
    });

    it('answers a missing key with ObjectNotFoundError on get and null on stat', async () => {
      await expect(collect(store.get(key('missing')))).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(await store.stat(key('missing'))).toBeNull();
    });

    it('writes a key once: a second put fails and the first object stays', async () => {
      const k = key('once');
      const first = randomBytes(1000);
      await store.put(k, pieces(first));
      await expect(store.put(k, pieces(randomBytes(1000)))).rejects.toBeInstanceOf(
        ObjectExistsError,
      );
      expect((await collect(store.get(k))).equals(first)).toBe(true);
    });

    it('lets only one of two racing puts of a key win', async () => {
      const k = key('race');
      const [a, b] = [randomBytes(300_000), randomBytes(300_000)];
      const results = await Promise.allSettled([store.put(k, pieces(a)), store.put(k, pieces(b))]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(ObjectExistsError);
      const stored = await collect(store.get(k));
      expect(stored.equals(a) || stored.equals(b)).toBe(true);
    });

    describe('stores nothing when the content is not what was declared', () => {
      const bytes = randomBytes(200_000);
      const refusals: [string, () => AsyncIterable<Uint8Array>, object, unknown][] = [
        ['a wrong sha256', () => pieces(bytes), { sha256: sha256(randomBytes(8)) }, 'sha256'],
        ['fewer bytes than declared', () => pieces(bytes), { size: bytes.byteLength + 1 }, 'size'],
        ['more bytes than declared', () => pieces(bytes), { size: bytes.byteLength - 1 }, 'size'],
        ['more bytes than maxSize', () => pieces(bytes), { maxSize: 100_000 }, 'tooLarge'],
        ['a source that fails midway', () => failingAfter(bytes), {}, undefined],
      ];
      for (const [what, source, options, reason] of refusals) {
        it(what, async () => {
          const k = key(`refused-${randomUUID()}`);
          const error = await store.put(k, source(), options).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(Error);
          if (reason) {
            expect(error).toBeInstanceOf(ObjectContentError);
            expect((error as ObjectContentError).reason).toBe(reason);
            // The caller can say what it got: what was read, and the digest once all of it was.
            const { measured } = error as ObjectContentError;
            if (what === 'a wrong sha256' || what === 'fewer bytes than declared') {
              expect(measured).toEqual({ size: bytes.byteLength, sha256: sha256(bytes) });
            } else {
              expect(measured.size).toBeGreaterThan(
                (options as { size?: number; maxSize?: number }).size ??
                  (options as { maxSize: number }).maxSize,
              );
              expect(measured.size).toBeLessThanOrEqual(bytes.byteLength);
            }
          }
          expect(await store.stat(k)).toBeNull();
          expect(await keys(store, k)).toEqual([]);
          // The key is still free for the right bytes.
          await store.put(k, pieces(bytes), { sha256: sha256(bytes) });
          expect((await collect(store.get(k))).equals(bytes)).toBe(true);
        });
      }

      it('stops reading a source as soon as it passes maxSize', async () => {
        let pulled = 0;
        async function* endless(): AsyncGenerator<Uint8Array> {
          for (;;) {
            pulled++;
            yield new Uint8Array(64 * 1024);
          }
        }
        await expect(
          store.put(key('endless'), endless(), { maxSize: 1024 * 1024 }),
        ).rejects.toBeInstanceOf(ObjectContentError);
        expect(pulled).toBeLessThanOrEqual(17);
      });

      it('an aborted put', async () => {
        const controller = new AbortController();
        async function* slow(): AsyncGenerator<Uint8Array> {
          yield new Uint8Array(1000);
          controller.abort();
          yield new Uint8Array(1000);
        }
        const k = key('aborted');
        await expect(store.put(k, slow(), { signal: controller.signal })).rejects.toThrow();
        expect(await store.stat(k)).toBeNull();
      });
    });

    it('deletes: true once, then false; the key can be written again', async () => {
      const k = key('deleted');
      await store.put(k, pieces(randomBytes(10)));
      expect(await store.delete(k)).toBe(true);
      expect(await store.delete(k)).toBe(false);
      expect(await store.stat(k)).toBeNull();
      await expect(collect(store.get(k))).rejects.toBeInstanceOf(ObjectNotFoundError);
      const again = randomBytes(20);
      await store.put(k, pieces(again));
      expect((await collect(store.get(k))).equals(again)).toBe(true);
    });

    it('lists by prefix, at a separator or inside a segment', async () => {
      for (const k of ['list/a/1', 'list/a/2', 'list/ab/1', 'list/b/1']) {
        await store.put(key(k), pieces(randomBytes(10)));
      }
      expect(await keys(store, key('list/a/'))).toEqual([key('list/a/1'), key('list/a/2')]);
      expect(await keys(store, key('list/a'))).toEqual([
        key('list/a/1'),
        key('list/a/2'),
        key('list/ab/1'),
      ]);
      expect(await keys(store, key('list/'))).toHaveLength(4);
      expect(await keys(store, key('list/c/'))).toEqual([]);
    });

    it('expires what is older than a date under a prefix, nothing else', async () => {
      await store.put(key('exp/old'), pieces(randomBytes(10)));
      await store.put(key('keep/old'), pieces(randomBytes(10)));
      await new Promise((r) => setTimeout(r, 20));
      const cut = new Date();
      await new Promise((r) => setTimeout(r, 20));
      await store.put(key('exp/new'), pieces(randomBytes(10)));
      expect(await store.expire(cut, key('exp/'))).toBe(1);
      expect(await keys(store, key('exp/'))).toEqual([key('exp/new')]);
      expect(await store.stat(key('keep/old'))).not.toBeNull();
    });

    it('refuses keys that could leave the store, whatever the call', async () => {
      const bad = ['', '/abs', 'a//b', '../up', 'a/../b', 'a/./b', 'sp ace', 'new\nline', 'a/b~'];
      for (const k of bad) {
        await expect(store.put(k, pieces(randomBytes(1))), k).rejects.toBeInstanceOf(
          InvalidObjectKeyError,
        );
        await expect(store.stat(k), k).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(collect(store.get(k)), k).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(store.delete(k), k).rejects.toBeInstanceOf(InvalidObjectKeyError);
      }
    });
  });
}
