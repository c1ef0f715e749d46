import { HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startS3, type StartedS3 } from '../src/s3.js';
import { stagingEnvFor, stagingKindFromEnv } from '../src/staging.js';

describe('startS3', () => {
  let s3: StartedS3;

  beforeAll(async () => {
    s3 = await startS3();
  }, 90_000);

  afterAll(async () => {
    await s3?.stop();
  });

  it('listens on loopback and refuses requests without its keys', async () => {
    expect(new URL(s3.endpoint).hostname).toBe('127.0.0.1');
    const list = await fetch(`${s3.endpoint}/`);
    expect(list.status).toBe(403);
    await list.body?.cancel();
    const create = await fetch(`${s3.endpoint}/anonymous-bucket`, { method: 'PUT' });
    expect(create.status).toBe(403);
    await create.body?.cancel();
    const put = await fetch(`${s3.endpoint}/anonymous-bucket/key`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(403);
    await put.body?.cancel();
  });

  it('makes new keys on every start', async () => {
    const other = await startS3({ label: 'second seaweedfs' });
    try {
      expect(other.accessKeyId).not.toBe(s3.accessKeyId);
      expect(other.secretAccessKey).not.toBe(s3.secretAccessKey);
      expect(other.endpoint).not.toBe(s3.endpoint);
    } finally {
      await other.stop();
    }
  }, 90_000);

  it('stops: the port closes and the data directory is removed', async () => {
    const other = await startS3({ label: 'stopped seaweedfs' });
    expect(existsSync(other.dataDir)).toBe(true);
    await other.stop();
    await expect(fetch(`${other.endpoint}/`)).rejects.toThrow();
    expect(existsSync(other.dataDir)).toBe(false);
  }, 90_000);

  describe('stagingEnvFor', () => {
    let client: S3Client;
    const saved = process.env.OBJECT_STORE;

    beforeAll(() => {
      client = new S3Client({
        endpoint: s3.endpoint,
        region: s3.region,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
      });
    });
    afterAll(() => client?.destroy());
    afterEach(() => {
      if (saved === undefined) delete process.env.OBJECT_STORE;
      else process.env.OBJECT_STORE = saved;
    });

    it('gives each s3 stack a bucket of its own that its keys can write to', async () => {
      const [a, b] = [
        await stagingEnvFor('s3', '/tmp/a', s3),
        await stagingEnvFor('s3', '/tmp/b', s3),
      ];
      expect(a).toMatchObject({
        OBJECT_STORE: 's3',
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      });
      expect(a.S3_BUCKET).not.toBe(b.S3_BUCKET);
      for (const Bucket of [a.S3_BUCKET, b.S3_BUCKET]) {
        await client.send(new HeadBucketCommand({ Bucket }));
        await client.send(new PutObjectCommand({ Bucket, Key: 'probe', Body: 'x' }));
      }
    });

    it('keeps fs in the directory, and refuses s3 without a server', async () => {
      expect(await stagingEnvFor('fs', '/tmp/stack', s3)).toEqual({
        OBJECT_STORE: 'fs',
        OBJECT_STORE_DIR: '/tmp/stack/staging',
        S3_REGION: 'us-east-1',
      });
      await expect(stagingEnvFor('s3', '/tmp/stack')).rejects.toThrow(/s3: true/);
    });

    it('reads the default kind from OBJECT_STORE, naming a value it does not know', () => {
      delete process.env.OBJECT_STORE;
      expect(stagingKindFromEnv()).toBe('fs');
      process.env.OBJECT_STORE = 's3';
      expect(stagingKindFromEnv()).toBe('s3');
      process.env.OBJECT_STORE = 'minio';
      expect(() => stagingKindFromEnv()).toThrow(/OBJECT_STORE=minio/);
    });
  });
});
