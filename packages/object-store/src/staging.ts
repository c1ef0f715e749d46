import type { JetStreamClient } from '@nats-io/jetstream';
import { join } from 'node:path';
import { checkKey } from './object-checks.js';
import { openFsObjectStore } from './fs.adapter.js';
import { natsBuckets } from './nats.adapter.js';
import { BucketUnavailableError, type ObjectStorePort } from './object-store-port.js';

/**
 * Where a deployment keeps its staging buckets:
 * - `fs`: one directory per bucket under `directory`, the default on one machine (every process
 *   of the platform opens the same directory);
 * - `nats`: the JetStream object store, for a cluster that has NATS and nothing else to share.
 */
export type StagingOptions =
  | {
      readonly kind: 'fs';
      readonly directory: string;
      /** The buckets jobs may name; any other name is refused as missing. */
      readonly buckets: readonly string[];
      readonly durable?: boolean;
    }
  | { readonly kind: 'nats'; readonly js: JetStreamClient };

/** Opens the buckets jobs and routes name, each once; a bucket that fails to open is not kept. */
export interface StagingBuckets {
  open(bucket: string): Promise<ObjectStorePort>;
}

export function stagingBuckets(options: StagingOptions): StagingBuckets {
  switch (options.kind) {
    case 'nats':
      return natsBuckets(options.js);
    case 'fs': {
      const known = new Set(options.buckets);
      const open = new Map<string, Promise<ObjectStorePort>>();
      return {
        open(bucket) {
          // A job's bucket name becomes a directory: only the declared ones are opened.
          if (!known.has(bucket)) {
            return Promise.reject(new BucketUnavailableError(bucket, 'missing'));
          }
          let store = open.get(bucket);
          if (!store) {
            store = openFsObjectStore({
              directory: join(options.directory, checkKey(bucket)),
              ...(options.durable === undefined ? {} : { durable: options.durable }),
            });
            store.catch(() => open.delete(bucket));
            open.set(bucket, store);
          }
          return store;
        },
      };
    }
  }
}

/** The staging settings every process reads (StagingConfig in the service kit). */
export interface StagingSettings {
  readonly OBJECT_STORE: 'fs' | 'nats';
  readonly OBJECT_STORE_DIR?: string | undefined;
  readonly DATA_DIR: string;
}

/** The directory the fs staging buckets live in, the same for every process given the same settings. */
export const stagingDirectory = (settings: StagingSettings): string =>
  settings.OBJECT_STORE_DIR ?? join(settings.DATA_DIR, 'staging');

/** The staging buckets as the settings say: `buckets` are the names jobs may give. */
export function stagingFromSettings(
  settings: StagingSettings,
  js: () => JetStreamClient,
  buckets: readonly string[],
): StagingBuckets {
  return settings.OBJECT_STORE === 'nats'
    ? stagingBuckets({ kind: 'nats', js: js() })
    : stagingBuckets({ kind: 'fs', directory: stagingDirectory(settings), buckets });
}
