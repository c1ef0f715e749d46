import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@media-vault/service-kit';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  BucketUnavailableError,
  openFsObjectStore,
  openS3ObjectStore,
  stagingBuckets,
  stagingDirectory,
  stagingFromSettings,
  withPrefix,
} from '../src/index.js';
import { describeObjectStorePort } from './object-store.conformance.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('filesystem staging buckets', () => {
  it('opens each declared bucket once, as a folder of the staging directory', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'staging-'));
    dirs.push(directory);
    const buckets = stagingBuckets({ kind: 'fs', directory, buckets: ['chunks', 'files'] });
    const chunks = await buckets.open('chunks');
    expect(await buckets.open('chunks')).toBe(chunks);
    await chunks.put(
      'a/0/x',
      (async function* () {
        yield new Uint8Array([1, 2, 3]);
      })(),
    );
    // Another process opening the same directory sees the object.
    const again = stagingBuckets({ kind: 'fs', directory, buckets: ['chunks'] });
    expect(await (await again.open('chunks')).stat('a/0/x')).toMatchObject({ size: 3 });
    expect((await readdir(directory)).sort()).toEqual(['chunks']);
  });

  it.each(['elsewhere', '..', '../outside', 'chunks/../..'])(
    'refuses a bucket it was not given (%s) and creates nothing',
    async (name) => {
      const directory = await mkdtemp(join(tmpdir(), 'staging-'));
      dirs.push(directory);
      const buckets = stagingBuckets({ kind: 'fs', directory, buckets: ['chunks'] });
      const err = await buckets.open(name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BucketUnavailableError);
      expect(err).toMatchObject({ bucket: name, reason: 'missing' });
      expect(await readdir(directory)).toEqual([]);
    },
  );

  it('lives under DATA_DIR unless OBJECT_STORE_DIR says otherwise', () => {
    expect(stagingDirectory({ DATA_DIR: '/data' })).toBe('/data/staging');
    expect(stagingDirectory({ DATA_DIR: '/data', OBJECT_STORE_DIR: '/shared' })).toBe('/shared');
  });
});

const once = (bytes: number[]) =>
  (async function* () {
    yield new Uint8Array(bytes);
  })();

describeObjectStorePort('a prefixed view of a filesystem store', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'staging-view-'));
  dirs.push(directory);
  return withPrefix(await openFsObjectStore({ directory }), 'chunks/');
});

describe('S3 staging buckets', () => {
  const s3 = () => {
    const access = inject('servers').s3;
    if (!access) throw new Error('this test run started no S3 server');
    return access;
  };
  const settingsFor = (bucket: string) => ({
    OBJECT_STORE: 's3' as const,
    DATA_DIR: '/nowhere',
    S3_ENDPOINT: s3().endpoint,
    S3_REGION: s3().region,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: s3().accessKeyId,
    S3_SECRET_ACCESS_KEY: s3().secretAccessKey,
  });

  it('keeps each staging bucket as a prefix of one S3 bucket, and sees only its own', async () => {
    const bucket = `staging-${randomUUID().slice(0, 8)}`;
    // The bucket is provisioned beforehand, as a deployment does.
    const raw = await openS3ObjectStore({
      endpoint: s3().endpoint,
      region: s3().region,
      bucket,
      credentials: { accessKeyId: s3().accessKeyId, secretAccessKey: s3().secretAccessKey },
      forcePathStyle: true,
      createBucket: true,
    });
    const buckets = stagingFromSettings(settingsFor(bucket), () => expect.fail('no NATS'), [
      'chunks',
      'files',
    ]);
    const chunks = await buckets.open('chunks');
    const files = await buckets.open('files');
    await chunks.put('a/0/x', once([1, 2, 3]));
    await files.put('a/merged', once([4, 5]));
    expect(await chunks.stat('a/merged')).toBeNull();
    expect((await toArray(chunks.list())).map((o) => o.key)).toEqual(['a/0/x']);
    expect((await toArray(raw.list())).map((o) => o.key).sort()).toEqual([
      'chunks/a/0/x',
      'files/a/merged',
    ]);
    const err = await buckets.open('../chunks').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BucketUnavailableError);
  });

  it('names what OBJECT_STORE=s3 lacks when the settings are read, not at first use', () => {
    const { S3_BUCKET: _bucket, S3_SECRET_ACCESS_KEY: _secret, ...partial } = settingsFor('b-1');
    expect(() => stagingFromSettings(partial, () => expect.fail('no NATS'), ['chunks'])).toThrow(
      ConfigError,
    );
  });
});

async function toArray<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}
