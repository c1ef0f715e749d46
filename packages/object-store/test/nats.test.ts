import { connectAs, natsAccess, type NatsAccess } from '@media-vault/test-harness';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { openNatsObjectStore } from '../src/index.js';
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
