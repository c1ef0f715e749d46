import type { ObjectStorePort, StoredObject } from '@media-vault/object-store';
import { createReadStream } from 'node:fs';

/** Object name of one merged file: the same on every attempt of a job. */
export const transitObjectName = (assetId: string, jobId: string, file: number): string =>
  `${assetId}/${jobId}/${file}`;

/**
 * Streams a local file into the transit bucket. Keys are written once, so a rerun of the job
 * first removes what an earlier attempt left under the same name; nobody else writes it.
 */
export async function putFile(
  store: ObjectStorePort,
  name: string,
  path: string,
): Promise<StoredObject> {
  await store.delete(name);
  return store.put(name, createReadStream(path));
}
