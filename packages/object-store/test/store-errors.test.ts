import { connectAs, startNats, startS3 } from '@media-vault/test-harness';
import { jetstream } from '@nats-io/jetstream';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  BucketUnavailableError,
  ObjectContentError,
  openNatsObjectStore,
  openS3ObjectStore,
  storeFailureOf,
} from '../src/index.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });
const named = (name: string) => Object.assign(new Error(name), { name });

async function* bytes(): AsyncIterable<Uint8Array> {
  yield new Uint8Array(1024);
}

describe('storeFailureOf', () => {
  const cases: [string, unknown, ReturnType<typeof storeFailureOf>][] = [
    ['ENOSPC', coded('ENOSPC'), 'full'],
    ['EDQUOT', coded('EDQUOT'), 'full'],
    ['EIO', coded('EIO'), 'failed'],
    ['EROFS', coded('EROFS'), 'failed'],
    ['EMFILE', coded('EMFILE'), 'failed'],
    ['ECONNREFUSED', coded('ECONNREFUSED'), 'unreachable'],
    ['ETIMEDOUT', coded('ETIMEDOUT'), 'unreachable'],
    ['a NATS time-out', named('TimeoutError'), 'unreachable'],
    ['NATS: no responders', named('NoResponders'), 'unreachable'],
    ['NATS: connection closed', named('ClosedConnectionError'), 'unreachable'],
    [
      'JetStream 503 (no leader yet)',
      Object.assign(named('JetStreamApiError'), { status: 503 }),
      'unreachable',
    ],
    [
      'S3 5xx',
      Object.assign(named('InternalError'), { $metadata: { httpStatusCode: 500 } }),
      'unreachable',
    ],
    [
      'S3 503 by status only',
      Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }),
      'unreachable',
    ],
    [
      'wrapped twice',
      new Error('put', { cause: new Error('io', { cause: coded('EIO') }) }),
      'failed',
    ],
    ['in an AggregateError', new AggregateError([coded('ECONNREFUSED')]), 'unreachable'],
    // Faults of the request or the code stay what they are.
    ['a TypeError', new TypeError('x is not a function'), undefined],
    ['EACCES (misconfigured)', coded('EACCES'), undefined],
    ['ENOENT', coded('ENOENT'), undefined],
    ['JetStream 404', Object.assign(named('JetStreamApiError'), { status: 404 }), undefined],
    [
      'S3 403',
      Object.assign(named('AccessDenied'), { $metadata: { httpStatusCode: 403 } }),
      undefined,
    ],
    [
      'a content refusal',
      new ObjectContentError('k', 'sha256', 'mismatch', { size: 1 }),
      undefined,
    ],
    ['a missing bucket', new BucketUnavailableError('b', 'missing'), undefined],
    ['not an error', 'ECONNREFUSED', undefined],
  ];
  it.each(cases)('%s', (_name, err, expected) => {
    expect(storeFailureOf(err)).toBe(expected);
  });

  it('knows a full disk by the error the filesystem gives', async () => {
    const err = await writeFile('/dev/full', 'x').catch((e: unknown) => e);
    expect(storeFailureOf(err)).toBe('full');
  });

  it('knows a NATS object store whose server stopped', { timeout: 60_000 }, async () => {
    const nats = await startNats();
    const nc = await connectAs(nats);
    try {
      const store = await openNatsObjectStore(jetstream(nc, { timeout: 2_000 }), 'outage', {
        create: {},
      });
      await store.put('before', bytes());
      await nats.stop();
      const err = await store.put('after', bytes()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(storeFailureOf(err), String(err)).toBe('unreachable');
    } finally {
      await nc.close();
      await nats.stop();
    }
  });

  it('knows an S3 store whose server stopped', { timeout: 120_000 }, async () => {
    const s3 = await startS3({ label: 'seaweedfs (outage)' });
    try {
      const store = await openS3ObjectStore({
        endpoint: s3.endpoint,
        region: s3.region,
        bucket: 'outage',
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        forcePathStyle: true,
        createBucket: true,
      });
      await store.put('before', bytes());
      await s3.stop();
      const err = await store.put('after', bytes()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(storeFailureOf(err), String(err)).toBe('unreachable');
      await store.close();
    } finally {
      await s3.stop();
    }
  });
});
