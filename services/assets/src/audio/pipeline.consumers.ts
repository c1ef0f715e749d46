import type { StagingBuckets } from '@media-vault/object-store';
import { serveJobs, type Logger, type OutboxRelay } from '@media-vault/service-kit';
import type { NatsConnection } from '@nats-io/transport-node';
import type { MergeUseCase } from './merge.use-case.js';

/**
 * The assets service's side of the merge pipeline: it applies merge results and deletes staging
 * objects that nothing needs any more. Both are jobs so that a crash only delays them.
 */
export async function consumePipelineJobs(
  nc: NatsConnection,
  merge: Pick<MergeUseCase, 'applyMergeResult'>,
  relay: Pick<OutboxRelay, 'notify'>,
  log: Logger,
  buckets: StagingBuckets,
): Promise<{ stop(): Promise<void> }> {
  return serveJobs(nc, {
    worker: 'assets',
    log,
    handlers: {
      'jobs.assets.merged': {
        handle: async (result, ctx) => {
          const applied = await merge.applyMergeResult(result);
          relay.notify();
          ctx.log.info({ assetId: result.assetId, ok: result.ok, applied }, 'merge result');
        },
      },
      'jobs.assets.cleanup': {
        handle: async (job) => {
          const store = await buckets.open(job.bucket);
          // Deleting a missing object is fine: a redelivered job finds some already gone.
          for (const name of job.objects) await store.delete(name);
          if (job.prefix !== undefined) {
            const stray: string[] = [];
            for await (const object of store.list(job.prefix)) stray.push(object.key);
            for (const name of stray) await store.delete(name);
          }
        },
      },
    },
  });
}
