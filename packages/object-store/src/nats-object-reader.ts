import type { JetStreamClient } from '@nats-io/jetstream';
import type { ObjectInfo, ObjectStore } from '@nats-io/obj';
import { createHash } from 'node:crypto';

export interface ObjectReadOptions {
  /** Store messages (128 KiB each by default) asked for at a time: the most held in memory. */
  readonly batch?: number;
  /** Longest wait for the next messages before the read fails. */
  readonly idleMs?: number;
}

/**
 * Reads one object store entry as a stream that only asks the server for more once the reader has
 * taken what it has, so memory stays at one batch however large the object. The store's own `get`
 * pushes the whole object at once and buffers whatever the reader has not taken yet. The layout
 * read here (stream OBJ_<bucket>, chunks on $O.<bucket>.C.<nuid>) is the NATS object store's
 * published format.
 */
export async function* readObjectChunks(
  js: JetStreamClient,
  info: ObjectInfo,
  { batch = 8, idleMs = 10_000 }: ObjectReadOptions = {},
): AsyncGenerator<Uint8Array> {
  const where = `object ${info.name} in bucket ${info.bucket}`;
  const sha = createHash('sha256');
  let chunks = 0;
  let size = 0;
  if (info.chunks > 0) {
    const consumer = await js.consumers.get(`OBJ_${info.bucket}`, {
      filter_subjects: `$O.${info.bucket}.C.${info.nuid}`,
    });
    try {
      while (chunks < info.chunks) {
        const messages = await consumer.fetch({
          max_messages: Math.min(batch, info.chunks - chunks),
          expires: idleMs,
        });
        const before = chunks;
        for await (const m of messages) {
          chunks++;
          size += m.data.byteLength;
          sha.update(m.data);
          yield m.data;
        }
        // Nothing came: the object was replaced and its chunks purged, or the store is down.
        if (chunks === before) {
          throw new Error(
            `${where}: no data for ${idleMs} ms after ${chunks}/${info.chunks} chunks`,
          );
        }
      }
    } finally {
      await consumer.delete().catch(() => false);
    }
  }
  if (size !== info.size) throw new Error(`${where}: read ${size} bytes, expected ${info.size}`);
  if (!sha.digest().equals(digestBytes(info.digest))) throw new Error(`${where}: digest mismatch`);
}

/** The store writes `SHA-256=` and base64url; early clients wrote hex. */
export function digestBytes(digest: string): Buffer {
  const value = digest.replace(/^SHA-256=/i, '');
  return /^[0-9a-f]{64}$/i.test(value)
    ? Buffer.from(value, 'hex')
    : Buffer.from(value, 'base64url');
}

/**
 * Opens one entry of a NATS object store for a flow-controlled read (`readObjectChunks`). Resolves
 * to null when the object does not exist or was deleted.
 */
export async function openNatsObject(
  js: JetStreamClient,
  store: ObjectStore,
  name: string,
  opts: ObjectReadOptions = {},
): Promise<{ readonly info: ObjectInfo; bytes(): AsyncGenerator<Uint8Array> } | null> {
  const info = await store.info(name);
  if (!info || info.deleted) return null;
  if (info.options?.link) throw new Error(`object ${name} in ${info.bucket} is a link`);
  return { info, bytes: () => readObjectChunks(js, info, opts) };
}
