import type { PinJob } from '@media-vault/contracts';
import { IpfsNotFoundError, type IpfsPort } from '@media-vault/ipfs';
import type { JobContext, JobHandler, Logger } from '@media-vault/service-kit';

/**
 * Pins a sealed block an agent finished adding, fetched from that agent's node (its peer id is in
 * the job) or any other that holds it, so the block stays served when the agent goes offline.
 * Pinning what is pinned already is a no-op, so a redelivered job is harmless. A block not found
 * in time is handed back: JetStream delivers the job again later, when its node may be back.
 * After the last delivery the job is given up: logged as an error naming the block and its task,
 * and counted in vault_jobs_given_up_total{subject="jobs.ipfs.pin"}, since from then on the block
 * is served only while its agent's node is.
 */
export const pinHandler = (
  ipfs: IpfsPort,
  timeoutMs: number,
  log: Logger,
): JobHandler<'jobs.ipfs.pin'> => ({
  async handle(job: PinJob, ctx: JobContext): Promise<void> {
    try {
      await ipfs.pin(job.cid, {
        network: { timeoutMs, peers: job.peers.filter((peer) => peer !== '') },
      });
    } catch (err) {
      if (err instanceof IpfsNotFoundError) {
        ctx.log.warn({ cid: job.cid, task: job.task, reason: err.message }, 'block not found yet');
      }
      throw err;
    }
    ctx.log.info({ cid: job.cid, task: job.task }, 'sealed block pinned');
  },

  async onGiveUp(job: PinJob, reason: string): Promise<void> {
    log.error(
      { cid: job.cid, task: job.task, peers: job.peers, reason },
      'sealed block not pinned: the platform does not seed it',
    );
  },
});
