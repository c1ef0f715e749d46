import { connectAs, natsAccess, type NatsAccess } from '@media-vault/test-harness';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BucketUnavailableError, natsBuckets, openNatsObjectStore } from '../src/index.js';
import { describeObjectStorePort } from './object-store.conformance.js';

let nc: NatsConnection;
let access: NatsAccess;
beforeAll(async () => {
  access = natsAccess(inject('servers'));
  nc = await connectAs(access);
});
afterAll(async () => {
  await nc?.drain();
});

describeObjectStorePort('NATS JetStream object store', async () =>
  openNatsObjectStore(jetstream(nc), `conformance-${randomUUID().slice(0, 8)}`, {
    create: { description: 'object store conformance suite' },
  }),
);

describe('NATS buckets', () => {
  it('names a bucket that does not exist, and opens it once it does', async () => {
    const bucket = `later-${randomUUID().slice(0, 8)}`;
    const buckets = natsBuckets(jetstream(nc));
    const missing = await buckets.open(bucket).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BucketUnavailableError);
    expect(missing).toMatchObject({ bucket, reason: 'missing' });
    await openNatsObjectStore(jetstream(nc), bucket, { create: {} });
    const store = await buckets.open(bucket);
    expect(await store.stat('nothing')).toBeNull();
    expect(await buckets.open(bucket)).toBe(store);
  });
});
