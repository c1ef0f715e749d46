import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, type StartedS3 } from '../src/s3.js';

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
});
