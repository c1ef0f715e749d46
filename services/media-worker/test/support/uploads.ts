import type { MergeJob } from '@media-vault/contracts';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { createHash, randomUUID } from 'node:crypto';

export const sha256 = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/**
 * Puts `bytes` in the chunk bucket, the way the gateway stages an upload, and returns the merge job
 * for it. The chunks are listed out of order: the worker must sort them by index.
 */
export async function stageUpload(
  nc: NatsConnection,
  bytes: Uint8Array,
  chunkSize: number,
  bucket: string,
): Promise<MergeJob> {
  const objm = new Objm(nc);
  const store = await objm.open(bucket).catch(() => objm.create(bucket));
  const chunks: MergeJob['chunks'] = [];
  for (let index = 0, at = 0; at < bytes.length; index++, at += chunkSize) {
    const part = bytes.subarray(at, at + chunkSize);
    const object = `upload/${index}/${randomUUID()}`;
    await store.putBlob({ name: object }, part);
    chunks.push({ index, object, size: part.length });
  }
  return {
    id: randomUUID(),
    assetId: String(Date.now()),
    hash: sha256(bytes),
    size: bytes.length,
    bucket,
    chunks: chunks.reverse(),
  };
}
