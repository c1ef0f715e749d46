import type { JetStreamClient } from '@nats-io/jetstream';
import { Objm, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import {
  checkedSource,
  checkKey,
  checkPrefix,
  rangeOf,
  sliceStream,
  type Measured,
} from './object-checks.js';
import { digestBytes, readObjectChunks, type ObjectReadOptions } from './nats-object-reader.js';
import {
  BucketUnavailableError,
  ObjectContentError,
  ObjectExistsError,
  ObjectNotFoundError,
  type GetOptions,
  type ObjectStorePort,
  type PutOptions,
  type StoredObject,
} from './object-store-port.js';

export interface NatsObjectStoreOptions {
  /** Create the bucket when it does not exist (needs the rights to); otherwise only open it. */
  readonly create?: { readonly replicas?: number; readonly description?: string };
  readonly read?: ObjectReadOptions;
}

const stored = (info: ObjectInfo): StoredObject => ({
  key: info.name,
  size: info.size,
  sha256: digestBytes(info.digest).toString('hex'),
  modified: new Date(info.mtime),
});

const live = (info: ObjectInfo | null): info is ObjectInfo => info !== null && !info.deleted;

/** The store's own errors for a missing bucket or a bucket the NATS user may not touch. */
function unavailable(bucket: string, err: unknown): BucketUnavailableError | undefined {
  if (err instanceof Error && err.message === 'object store not found') {
    return new BucketUnavailableError(bucket, 'missing', { cause: err });
  }
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (/Permissions Violation/.test(e.message)) {
      return new BucketUnavailableError(bucket, 'forbidden', { cause: err });
    }
  }
  return undefined;
}

/**
 * The buckets a job names, each opened once and kept: jobs name a handful of buckets, and opening
 * one costs a round trip. A bucket that fails to open is not kept, so it is asked again next time.
 */
export function natsBuckets(
  js: JetStreamClient,
  options: Omit<NatsObjectStoreOptions, 'create'> = {},
): { open(bucket: string): Promise<ObjectStorePort> } {
  const open = new Map<string, Promise<ObjectStorePort>>();
  return {
    open(bucket) {
      let store = open.get(bucket);
      if (!store) {
        store = openNatsObjectStore(js, bucket, options);
        store.catch(() => open.delete(bucket));
        open.set(bucket, store);
      }
      return store;
    },
  };
}

/**
 * The NATS JetStream object store as a staging store: no extra server, replicated with the
 * stream. Write-once comes from the store's own revision check: the final metadata message is
 * published only if the key's subject is still at the revision seen before the upload, so two
 * racing puts of one key cannot both win. Chunks of a failed put are purged by the client.
 */
export async function openNatsObjectStore(
  js: JetStreamClient,
  bucket: string,
  options: NatsObjectStoreOptions = {},
): Promise<ObjectStorePort> {
  const objm = new Objm(js);
  let store: ObjectStore;
  try {
    store = options.create ? await objm.create(bucket, options.create) : await objm.open(bucket);
  } catch (err) {
    throw unavailable(bucket, err) ?? err;
  }

  return {
    async put(key: string, source: AsyncIterable<Uint8Array>, opts: PutOptions = {}) {
      checkKey(key);
      const before = await store.info(key);
      if (before && !before.deleted) throw new ObjectExistsError(key);
      const measured: Partial<Measured> = {};
      try {
        const info = await store.put(
          { name: key },
          ReadableStream.from(checkedSource(key, source, opts, measured)),
          // 0 expects no message on the key's subject at all; a deleted key has its marker.
          { previousRevision: before?.revision ?? 0 },
        );
        return stored(info);
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause;
        if (cause instanceof ObjectContentError) throw cause;
        if (err instanceof ObjectContentError || opts.signal?.aborted) throw err;
        if (live(await store.info(key).catch(() => null))) throw new ObjectExistsError(key);
        throw err;
      }
    },

    async *get(key: string, opts: GetOptions = {}) {
      checkKey(key);
      const info = await store.info(key);
      if (!live(info)) throw new ObjectNotFoundError(key);
      const range = rangeOf(opts, info.size);
      if (range.start >= range.end) return;
      yield* sliceStream(readObjectChunks(js, info, options.read), range, opts.signal);
    },

    async stat(key: string) {
      checkKey(key);
      const info = await store.info(key);
      return live(info) ? stored(info) : null;
    },

    async delete(key: string) {
      checkKey(key);
      if (!live(await store.info(key))) return false;
      await store.delete(key);
      return true;
    },

    async *list(prefix = '') {
      checkPrefix(prefix);
      for (const info of await store.list()) {
        if (live(info) && info.name.startsWith(prefix)) yield stored(info);
      }
    },

    async expire(before: Date, prefix = '') {
      checkPrefix(prefix);
      let deleted = 0;
      for (const info of await store.list()) {
        if (!live(info) || !info.name.startsWith(prefix)) continue;
        if (new Date(info.mtime) < before) {
          await store.delete(info.name);
          deleted++;
        }
      }
      return deleted;
    },

    close: async () => {},
  };
}
