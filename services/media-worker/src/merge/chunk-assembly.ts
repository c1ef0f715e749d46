import type { MergeJob } from '@media-vault/contracts';
import { BucketUnavailableError, type ObjectStorePort } from '@media-vault/object-store';
import { PermanentJobError } from '@media-vault/service-kit';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

export interface AssembledFile {
  /** sha256 of the whole file, lower-case hex. */
  readonly sha256: string;
  readonly size: number;
}

/**
 * Opens a bucket a job names. One that does not exist will not appear by retrying, and one the
 * worker's NATS user may not read (a job pointing elsewhere) will not become readable.
 */
export async function openJobBucket(
  buckets: { open(bucket: string): Promise<ObjectStorePort> },
  bucket: string,
): Promise<ObjectStorePort> {
  try {
    return await buckets.open(bucket);
  } catch (err) {
    if (err instanceof BucketUnavailableError) {
      throw new PermanentJobError(err.message, { cause: err });
    }
    throw err;
  }
}

/** The job's chunks by index, refusing gaps and repeats that would merge a different file. */
export function chunksInOrder(chunks: MergeJob['chunks']): MergeJob['chunks'] {
  const sorted = [...chunks].sort((a, b) => a.index - b.index);
  sorted.forEach((chunk, i) => {
    if (chunk.index !== i) {
      throw new PermanentJobError(
        `chunk indexes must run 0..${chunks.length - 1} without gaps; found ${chunk.index} at position ${i}`,
      );
    }
  });
  return sorted;
}

/**
 * Streams the chunks, in index order, from the object store into `target` while hashing and
 * counting, so memory holds a few store messages at a time whatever the file size.
 * `onChunk` runs after each chunk, to tell the job runner the merge is still moving.
 */
export async function assembleChunks(
  source: { readonly store: ObjectStorePort; readonly bucket: string },
  chunks: MergeJob['chunks'],
  target: string,
  onChunk: () => void,
): Promise<AssembledFile> {
  const ordered = chunksInOrder(chunks);
  const hash = createHash('sha256');
  let size = 0;
  async function* bytes(): AsyncGenerator<Uint8Array> {
    for (const chunk of ordered) {
      const object = await source.store.stat(chunk.object);
      if (!object) {
        throw new PermanentJobError(
          `chunk ${chunk.index} is missing: no object ${chunk.object} in bucket ${source.bucket}`,
        );
      }
      for await (const data of source.store.get(chunk.object)) {
        hash.update(data);
        size += data.byteLength;
        yield data;
      }
      onChunk();
    }
  }
  await pipeline(bytes(), createWriteStream(target));
  return { sha256: hash.digest('hex'), size };
}
