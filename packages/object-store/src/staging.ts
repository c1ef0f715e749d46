import { DatabaseConfig } from '@media-vault/service-kit';
import type { JetStreamClient } from '@nats-io/jetstream';
import { Type, type Static } from '@sinclair/typebox';
import { join } from 'node:path';
import { checkKey } from './object-checks.js';
import { openFsObjectStore } from './fs.adapter.js';
import { natsBuckets } from './nats.adapter.js';
import { BucketUnavailableError, type ObjectStorePort } from './object-store-port.js';
import { withPrefix } from './prefixed.js';
import { openS3ObjectStore, type S3ObjectStoreOptions } from './s3.adapter.js';
import { ObjectStoreConfig, objectStoreSettingsOf } from './settings.js';

/**
 * Variables of a process that reads or writes the staging buckets (chunks, merged files): a
 * service spreads them into its own config schema (`...StagingConfig`).
 */
export const StagingConfig = {
  ...ObjectStoreConfig,
  OBJECT_STORE_DIR: Type.Optional(
    Type.String({ minLength: 1, description: 'fs staging directory; default DATA_DIR/staging' }),
  ),
  DATA_DIR: DatabaseConfig.DATA_DIR,
};

/**
 * Where a deployment keeps its staging buckets:
 * - `fs`: one directory per bucket under `directory`, the default on one machine (every process
 *   of the platform opens the same directory);
 * - `s3`: one S3 bucket, each staging bucket a prefix of it (`chunks/…`, `files/…`), for a
 *   cluster: one bucket and one set of keys to provision;
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
  | {
      readonly kind: 's3';
      readonly s3: S3ObjectStoreOptions;
      /** The buckets jobs may name; any other name is refused as missing. */
      readonly buckets: readonly string[];
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
    case 's3': {
      const known = new Set(options.buckets);
      // One client for every view; opening it checks the bucket once.
      let shared: Promise<ObjectStorePort> | undefined;
      const open = new Map<string, Promise<ObjectStorePort>>();
      return {
        open(bucket) {
          if (!known.has(bucket)) {
            return Promise.reject(new BucketUnavailableError(bucket, 'missing'));
          }
          let view = open.get(bucket);
          if (!view) {
            shared ??= openS3ObjectStore(options.s3);
            shared.catch(() => (shared = undefined));
            view = shared.then((store) => withPrefix(store, `${checkKey(bucket)}/`));
            view.catch(() => open.delete(bucket));
            open.set(bucket, view);
          }
          return view;
        },
      };
    }
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

/** The staging settings every process reads (`StagingConfig`). */
export type StagingSettings = Static<ReturnType<typeof Type.Object<typeof StagingConfig>>>;

/** The directory the fs staging buckets live in, the same for every process given the same settings. */
export const stagingDirectory = (
  settings: Pick<StagingSettings, 'OBJECT_STORE_DIR' | 'DATA_DIR'>,
): string => settings.OBJECT_STORE_DIR ?? join(settings.DATA_DIR, 'staging');

/**
 * The staging buckets as the settings say: `buckets` are the names jobs may give. Throws
 * ConfigError when OBJECT_STORE=s3 lacks what S3 needs (checked at start, not at first use).
 */
export function stagingFromSettings(
  settings: StagingSettings,
  js: () => JetStreamClient,
  buckets: readonly string[],
): StagingBuckets {
  switch (settings.OBJECT_STORE) {
    case 'nats':
      return stagingBuckets({ kind: 'nats', js: js() });
    case 's3': {
      const s3 = objectStoreSettingsOf(settings, { directory: '', natsBucket: '' });
      if (s3.kind !== 's3') throw new Error('unreachable: OBJECT_STORE=s3 gave other settings');
      return stagingBuckets({ kind: 's3', s3, buckets });
    }
    case 'fs':
      return stagingBuckets({ kind: 'fs', directory: stagingDirectory(settings), buckets });
  }
}
