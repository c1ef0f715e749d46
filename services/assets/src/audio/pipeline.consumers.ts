import { CleanupJob, JobConsumers, MergedJob } from '@media-vault/contracts';
import { consumeJobs, type Logger, type OutboxRelay } from '@media-vault/service-kit';
import { natsBuckets } from '@media-vault/object-store';
import { jetstream } from '@nats-io/jetstream';
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
): Promise<{ stop(): Promise<void> }> {
  const merged = await consumeJobs(nc, {
    durable: JobConsumers.assetsMerged.name,
    subject: JobConsumers.assetsMerged.subject,
    schema: MergedJob,
    log,
    handle: async (result, ctx) => {
      const applied = await merge.applyMergeResult(result);
      relay.notify();
      ctx.log.info({ assetId: result.assetId, ok: result.ok, applied }, 'merge result');
    },
  });
  const buckets = natsBuckets(jetstream(nc));
  const cleanup = await consumeJobs(nc, {
    durable: JobConsumers.assetsCleanup.name,
    subject: JobConsumers.assetsCleanup.subject,
    schema: CleanupJob,
    log,
    handle: async (job) => {
      const store = await buckets.open(job.bucket);
      // Deleting a missing object is fine: a redelivered job finds some already gone.
      for (const name of job.objects) await store.delete(name);
    },
  });
  return {
    async stop() {
      await Promise.all([merged.stop(), cleanup.stop()]);
    },
  };
}
