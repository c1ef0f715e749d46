import { AssetBuckets } from '@media-vault/contracts';
import {
  openNatsObjectStore,
  stagingFromSettings,
  type ObjectStorePort,
  type StagingBuckets,
  type StagingSettings,
} from '@media-vault/object-store';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

export interface AssetBucketStores {
  readonly buckets: StagingBuckets;
  readonly chunks: ObjectStorePort;
  readonly files: ObjectStorePort;
}

/**
 * Opens the staging buckets of the upload pipeline. The assets service owns staging, so on NATS
 * it is the one that creates them, at start, before any upload or merge can name one; a
 * filesystem bucket is a directory made by opening it.
 */
export async function openAssetBuckets(
  nc: NatsConnection,
  settings: StagingSettings,
  replicas = 1,
): Promise<AssetBucketStores> {
  const buckets = stagingFromSettings(settings, () => jetstream(nc), Object.values(AssetBuckets));
  if (settings.OBJECT_STORE === 'nats') {
    const js = jetstream(nc);
    await Promise.all([
      openNatsObjectStore(js, AssetBuckets.chunks, {
        create: { description: 'Audio chunks until their asset is merged', replicas },
      }),
      openNatsObjectStore(js, AssetBuckets.files, {
        create: { description: 'Merged audio on its way from the media worker to IPFS', replicas },
      }),
    ]);
  }
  const [chunks, files] = await Promise.all([
    buckets.open(AssetBuckets.chunks),
    buckets.open(AssetBuckets.files),
  ]);
  return { buckets, chunks, files };
}
