import { CleanupJob, JobConsumers, MergedJob } from '@media-vault/contracts';
import { consumeJobs, type Logger, type OutboxRelay } from '@media-vault/service-kit';
import { Objm } from '@nats-io/obj';
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
  const objm = new Objm(nc);
  const cleanup = await consumeJobs(nc, {
    durable: JobConsumers.assetsCleanup.name,
    subject: JobConsumers.assetsCleanup.subject,
    schema: CleanupJob,
    log,
    handle: async (job) => {
      const store = await objm.open(job.bucket);
      for (const name of job.objects) {
        // Deleting a missing object is fine: a redelivered job finds some already gone.
        await store.delete(name).catch((err: Error) => {
          if (!/not found/i.test(err.message)) throw err;
        });
      }
    },
  });
  return {
    async stop() {
      await Promise.all([merged.stop(), cleanup.stop()]);
    },
  };
}
