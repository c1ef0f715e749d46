import { AssetJobSubjects, type JobOf } from '@media-vault/contracts';
import { connectAs, natsAccess } from '@media-vault/test-harness';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { publishJob } from '../src/jobs.js';
import { Metrics } from '../src/metrics.js';
import { serveJobs, type JobHandlers } from '../src/serve-jobs.js';
import { silentLog, waitFor } from './helpers.js';

const servers = inject('servers');

describe('serveJobs', () => {
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connectAs(natsAccess(servers));
  });

  afterAll(async () => {
    await nc?.drain();
  });

  it('takes the handler map of a worker whole: leaving a job out does not compile', () => {
    const handle = async () => {};
    const whole: JobHandlers<'ipfs-worker'> = {
      'jobs.ipfs.add': { handle },
      'jobs.ipfs.unpin': { handle },
      'jobs.ipfs.pin': { handle },
    };
    // @ts-expect-error the ipfs worker serves jobs.ipfs.unpin and jobs.ipfs.pin too
    const missing: JobHandlers<'ipfs-worker'> = { 'jobs.ipfs.add': { handle } };
    expect(Object.keys(whole)).toEqual(['jobs.ipfs.add', 'jobs.ipfs.unpin', 'jobs.ipfs.pin']);
    expect(Object.keys(missing)).toEqual(['jobs.ipfs.add']);
  });

  it("runs the worker's jobs through their handlers, checked against the registered schema", async () => {
    const seen: JobOf<'jobs.media.merge'>[] = [];
    const served = await serveJobs(nc, {
      worker: 'media-worker',
      handlers: { 'jobs.media.merge': { handle: async (job) => void seen.push(job) } },
      log: silentLog,
    });
    try {
      const job: JobOf<'jobs.media.merge'> = {
        id: `serve-${Date.now().toString(36)}`,
        assetId: '12',
        hash: 'a'.repeat(64),
        size: 3,
        bucket: 'asset-chunks',
        chunks: [{ index: 0, object: '12/0/x', size: 3 }],
      };
      // Without its id the job is malformed: terminated, never handed to the handler.
      const { id: _id, ...noId } = job;
      await publishJob(nc, AssetJobSubjects.merge, noId, `${job.id}-malformed`);
      await publishJob(nc, AssetJobSubjects.merge, job, job.id);
      await waitFor('the merge job', () => (seen.length > 0 ? seen : undefined));
      expect(seen).toEqual([job]);
    } finally {
      await served.stop();
    }
  });

  it("gives a failing job up after its handler's deliveries, tells the handler, and counts it", async () => {
    const metrics = new Metrics('serve-jobs-test');
    const deliveries: number[] = [];
    const gaveUp: string[] = [];
    const served = await serveJobs(nc, {
      worker: 'media-worker',
      handlers: {
        'jobs.media.merge': {
          handle: async (_job, ctx) => {
            deliveries.push(ctx.attempt);
            throw new Error('the chunks are not there yet');
          },
          onGiveUp: async (job, reason) => void gaveUp.push(`${job.id}: ${reason}`),
          maxDeliver: 2,
        },
      },
      log: silentLog,
      metrics,
    });
    try {
      const job: JobOf<'jobs.media.merge'> = {
        id: `give-up-${Date.now().toString(36)}`,
        assetId: '13',
        hash: 'b'.repeat(64),
        size: 3,
        bucket: 'asset-chunks',
        chunks: [{ index: 0, object: '13/0/x', size: 3 }],
      };
      await publishJob(nc, AssetJobSubjects.merge, job, job.id);
      await waitFor('the give-up', () => (gaveUp.length > 0 ? gaveUp : undefined));
      expect(deliveries).toEqual([1, 2]);
      expect(gaveUp).toEqual([`${job.id}: the chunks are not there yet`]);
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/vault_jobs_given_up_total\{subject="jobs\.media\.merge"[^}]*\} 1\n/);
    } finally {
      await served.stop();
    }
  });
});
