import { AssetBuckets } from '@media-vault/contracts';
import { openNatsObjectStore, type ObjectStorePort } from '@media-vault/object-store';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

export interface AssetBucketStores {
  readonly chunks: ObjectStorePort;
  readonly files: ObjectStorePort;
}

/**
 * Creates (or binds to) the staging buckets of the upload pipeline. The assets service owns
 * staging, so it is the one that creates them, at start, before any upload or merge can name one.
 */
export async function openAssetBuckets(
  nc: NatsConnection,
  replicas = 1,
): Promise<AssetBucketStores> {
  const js = jetstream(nc);
  const [chunks, files] = await Promise.all([
    openNatsObjectStore(js, AssetBuckets.chunks, {
      create: { description: 'Audio chunks until their asset is merged', replicas },
    }),
    openNatsObjectStore(js, AssetBuckets.files, {
      create: { description: 'Merged audio on its way from the media worker to IPFS', replicas },
    }),
  ]);
  return { chunks, files };
}
