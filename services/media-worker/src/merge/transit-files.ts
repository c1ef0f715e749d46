import type { ObjectInfo, ObjectStore, Objm } from '@nats-io/obj';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

/** Where the merged files wait for the ipfs worker; created here so it exists before any job. */
export const openFilesBucket = (objm: Objm, bucket: string, replicas = 1): Promise<ObjectStore> =>
  objm.create(bucket, {
    description: 'Merged audio files on their way from the media worker to IPFS.',
    replicas,
  });

/** Object name of one merged file: the same on every attempt, so a rerun overwrites, not adds. */
export const transitObjectName = (assetId: string, jobId: string, file: number): string =>
  `${assetId}/${jobId}/${file}`;

/** Streams a local file into the store; the store pulls as it publishes, so memory stays flat. */
export function putFile(store: ObjectStore, name: string, path: string): Promise<ObjectInfo> {
  const source = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
  return store.put({ name }, source);
}
