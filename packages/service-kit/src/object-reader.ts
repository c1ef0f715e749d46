import { readObjectChunks, type ObjectReadOptions } from '@media-vault/object-store';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { ObjectInfo, ObjectStore } from '@nats-io/obj';

export type { ObjectReadOptions };

/**
 * Opens one object store entry for a flow-controlled read (see `readObjectChunks`). Resolves to
 * null when the object does not exist or was deleted.
 */
export async function openObject(
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
