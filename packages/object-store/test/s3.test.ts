import { S3Client, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Access } from '@media-vault/test-harness';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  BucketUnavailableError,
  ObjectContentError,
  ObjectExistsError,
  openS3ObjectStore,
  type ObjectStorePort,
  type S3ObjectStoreOptions,
} from '../src/index.js';
import { describeObjectStorePort } from './object-store.conformance.js';

const MiB = 1024 * 1024;
let access: S3Access;
beforeAll(() => {
  const s3 = inject('servers').s3;
  if (!s3) throw new Error('this test run started no S3 server');
  access = s3;
});

const bucketName = () => `t-${randomUUID().slice(0, 18)}`;
const optionsFor = (bucket: string, more: Partial<S3ObjectStoreOptions> = {}) => ({
  endpoint: access.endpoint,
  region: access.region,
  bucket,
  credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
  forcePathStyle: true,
  ...more,
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
async function* pieces(bytes: Uint8Array, size = 256 * 1024): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += size) yield bytes.subarray(at, at + size);
}
async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

// The suite's objects fit in one part, so it runs the single-PutObject path; the multipart paths,
// where S3's 5 MiB minimum part makes objects larger, are tested below.
describeObjectStorePort('S3 (SeaweedFS)', async () =>
  openS3ObjectStore(optionsFor(bucketName(), { createBucket: true })),
);

describe('S3 adapter', () => {
  let store: ObjectStorePort;
  let raw: S3Client;
  let bucket: string;
  beforeAll(async () => {
    bucket = bucketName();
    store = await openS3ObjectStore(optionsFor(bucket, { createBucket: true, partSize: 5 * MiB }));
    raw = new S3Client({ ...optionsFor(bucket), requestChecksumCalculation: 'WHEN_REQUIRED' });
  });
  afterAll(async () => {
    await store?.close();
    raw?.destroy();
  });

  const rawKeys = async (): Promise<string[]> =>
    ((await raw.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map(
      (c) => c.Key!,
    );
  const openUploads = async (): Promise<number> =>
    ((await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).length;

  // 12.5 MiB: three parts of 5 MiB, the last one short.
  const large = randomBytes(12 * MiB + 512 * 1024);

  it('streams a multipart object with a declared digest, and ranges across its parts', async () => {
    const put = await store.put('mp/declared', pieces(large), {
      size: large.byteLength,
      sha256: sha256(large),
    });
    expect(put).toMatchObject({ size: large.byteLength, sha256: sha256(large) });
    expect((await collect(store.get('mp/declared'))).equals(large)).toBe(true);
    const across = await collect(store.get('mp/declared', { offset: 5 * MiB - 10, length: 20 }));
    expect(across.equals(large.subarray(5 * MiB - 10, 5 * MiB + 10))).toBe(true);
    expect(await openUploads()).toBe(0);
  });

  it('measures the digest of a multipart object declared without one, leaving no staging copy', async () => {
    const put = await store.put('mp/measured', pieces(large));
    expect(put.sha256).toBe(sha256(large));
    expect((await store.stat('mp/measured'))?.sha256).toBe(sha256(large));
    expect((await collect(store.get('mp/measured'))).equals(large)).toBe(true);
    expect((await rawKeys()).filter((k) => k.startsWith('~'))).toEqual([]);
  });

  it('aborts the multipart upload when the digest turns out wrong at the end', async () => {
    const error = await store
      .put('mp/wrong', pieces(large), { sha256: sha256(randomBytes(4)) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectContentError);
    expect(await store.stat('mp/wrong')).toBeNull();
    expect(await openUploads()).toBe(0);
  });

  it('lets one of two racing multipart puts win, the other upload aborted', async () => {
    const other = randomBytes(large.byteLength);
    const results = await Promise.allSettled([
      store.put('mp/race', pieces(large), { sha256: sha256(large) }),
      store.put('mp/race', pieces(other), { sha256: sha256(other) }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(ObjectExistsError);
    const stored = await collect(store.get('mp/race'));
    expect(stored.equals(large) || stored.equals(other)).toBe(true);
    expect((await store.stat('mp/race'))?.sha256).toBe(sha256(stored));
    expect(await openUploads()).toBe(0);
  });

  it('lists past a page of results', async () => {
    const many = await openS3ObjectStore(optionsFor(bucket));
    // ListObjectsV2 pages hold 1000 keys; 50 puts at a time stay within the SDK's sockets.
    for (let from = 0; from < 1005; from += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, 1005 - from) }, (_, i) =>
          many.put(`page/${from + i}`, pieces(new Uint8Array(1))),
        ),
      );
    }
    let count = 0;
    for await (const _ of many.list('page/')) count++;
    expect(count).toBe(1005);
    await many.close();
  }, 120_000);

  it('expires uploads a crash left open', async () => {
    const { CreateMultipartUploadCommand } = await import('@aws-sdk/client-s3');
    await raw.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'crashed/x' }));
    expect(await openUploads()).toBe(1);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await store.expire(new Date(), 'crashed/')).toBe(0);
    expect(await openUploads()).toBe(0);
  });

  it('names a missing bucket, and bad keys, as the port says', async () => {
    const missing = await openS3ObjectStore(optionsFor(bucketName())).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BucketUnavailableError);
    expect(missing).toMatchObject({ reason: 'missing' });
    const wrongKey = await openS3ObjectStore(
      optionsFor(bucket, {
        credentials: { accessKeyId: access.accessKeyId, secretAccessKey: 'not-the-secret' },
      }),
    ).catch((e: unknown) => e);
    expect(wrongKey).toBeInstanceOf(BucketUnavailableError);
    expect(wrongKey).toMatchObject({ reason: 'forbidden' });
  });
});
