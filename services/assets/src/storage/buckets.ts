import { AssetBuckets } from '@media-vault/contracts';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';

export interface AssetBucketStores {
  readonly chunks: ObjectStore;
  readonly files: ObjectStore;
}

/** Creates (or binds to) the object store buckets of the upload pipeline. */
export async function openAssetBuckets(
  nc: NatsConnection,
  replicas = 1,
): Promise<AssetBucketStores> {
  const objm = new Objm(nc);
  const [chunks, files] = await Promise.all([
    objm.create(AssetBuckets.chunks, {
      description: 'Audio chunks until their asset is merged',
      replicas,
    }),
    objm.create(AssetBuckets.files, {
      description: 'Merged audio on its way from the media worker to IPFS',
      replicas,
    }),
  ]);
  return { chunks, files };
}
