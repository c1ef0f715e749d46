import { ConfigError } from '@media-vault/service-kit';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  openObjectStore,
  readObjectStoreSettings,
  type ObjectStoreSettings,
} from '../src/index.js';

const defaults = { directory: '/var/lib/vault/objects', natsBucket: 'chunks' };
const read = (env: Record<string, string>) => readObjectStoreSettings(env, defaults);
const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    read(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('no ConfigError');
};

const s3 = { OBJECT_STORE: 's3', S3_BUCKET: 'media-vault-staging' };

describe('object store settings', () => {
  const accepted: [string, Record<string, string>, ObjectStoreSettings][] = [
    [
      'nothing set: files under the given directory',
      {},
      { kind: 'fs', directory: defaults.directory },
    ],
    [
      'empty OBJECT_STORE counts as unset',
      { OBJECT_STORE: '' },
      { kind: 'fs', directory: defaults.directory },
    ],
    [
      'nats: the service names the bucket',
      { OBJECT_STORE: 'nats' },
      { kind: 'nats', bucket: 'chunks' },
    ],
    [
      's3 on AWS: default region, virtual-host style, the SDK finds the keys',
      s3,
      { kind: 's3', region: 'us-east-1', bucket: 'media-vault-staging', forcePathStyle: false },
    ],
    [
      's3 elsewhere: path style by default with an endpoint',
      {
        ...s3,
        S3_ENDPOINT: 'http://seaweedfs.storage:8333',
        S3_REGION: 'eu-central-1',
        S3_ACCESS_KEY_ID: 'AKIA1',
        S3_SECRET_ACCESS_KEY: 's3cr3t',
      },
      {
        kind: 's3',
        endpoint: 'http://seaweedfs.storage:8333',
        region: 'eu-central-1',
        bucket: 'media-vault-staging',
        credentials: { accessKeyId: 'AKIA1', secretAccessKey: 's3cr3t' },
        forcePathStyle: true,
      },
    ],
    [
      'S3_FORCE_PATH_STYLE overrides the default',
      { ...s3, S3_ENDPOINT: 'https://s3.example.com', S3_FORCE_PATH_STYLE: 'false' },
      {
        kind: 's3',
        endpoint: 'https://s3.example.com',
        region: 'us-east-1',
        bucket: 'media-vault-staging',
        forcePathStyle: false,
      },
    ],
  ];
  for (const [what, env, settings] of accepted) {
    it(what, () => expect(read(env)).toEqual(settings));
  }

  // Each bad value is refused with a problem that starts with the variable's name.
  const refused: [Record<string, string>, string][] = [
    [{ OBJECT_STORE: 'S3' }, 'OBJECT_STORE'],
    [{ OBJECT_STORE: 'minio' }, 'OBJECT_STORE'],
    [{ OBJECT_STORE: 's3' }, 'S3_BUCKET: required when OBJECT_STORE=s3'],
    [{ ...s3, S3_BUCKET: 'Media_Vault' }, 'S3_BUCKET'],
    [{ ...s3, S3_BUCKET: 'ab' }, 'S3_BUCKET'],
    [{ ...s3, S3_ENDPOINT: 'seaweedfs:8333' }, 'S3_ENDPOINT'],
    [{ ...s3, S3_ENDPOINT: 'ftp://seaweedfs:8333' }, 'S3_ENDPOINT'],
    [{ ...s3, S3_ENDPOINT: 'http://seaweedfs:8333?x=1' }, 'S3_ENDPOINT'],
    [{ ...s3, S3_REGION: 'EU West' }, 'S3_REGION'],
    [{ ...s3, S3_FORCE_PATH_STYLE: 'ture' }, 'S3_FORCE_PATH_STYLE'],
    [{ ...s3, S3_FORCE_PATH_STYLE: '1' }, 'S3_FORCE_PATH_STYLE'],
    [{ ...s3, S3_ACCESS_KEY_ID: 'AKIA1' }, 'S3_SECRET_ACCESS_KEY: required with S3_ACCESS_KEY_ID'],
    [{ ...s3, S3_SECRET_ACCESS_KEY: 'x' }, 'S3_ACCESS_KEY_ID: required with S3_SECRET_ACCESS_KEY'],
  ];
  for (const [env, problem] of refused) {
    it(`refuses ${JSON.stringify(env)}, naming ${problem.split(':')[0]}`, () => {
      const problems = problemsOf(env);
      expect(problems).toHaveLength(1);
      expect(problems[0]!.startsWith(problem)).toBe(true);
    });
  }

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      ...s3,
      S3_ENDPOINT: 'nope',
      S3_REGION: 'EU',
      S3_FORCE_PATH_STYLE: 'yes',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'S3_ENDPOINT',
      'S3_FORCE_PATH_STYLE',
      'S3_REGION',
    ]);
  });

  it('opens the store the settings name', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'object-store-settings-'));
    try {
      const store = await openObjectStore(
        readObjectStoreSettings({ OBJECT_STORE: 'fs' }, { directory, natsBucket: 'x' }),
      );
      await store.put(
        'a',
        (async function* () {
          yield new Uint8Array([1, 2, 3]);
        })(),
      );
      expect((await store.stat('a'))?.size).toBe(3);
      await store.close();
      await expect(openObjectStore({ kind: 'nats', bucket: 'x' })).rejects.toThrow(
        'OBJECT_STORE=nats needs a JetStream client',
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
