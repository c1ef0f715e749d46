import type { PinJob } from '@media-vault/contracts';
import { IpfsNotFoundError, type IpfsPort } from '@media-vault/ipfs';
import type { JobContext } from '@media-vault/service-kit';

/**
 * Pins a sealed block an agent finished adding, fetched from that agent's node (its peer id is in
 * the job) or any other that holds it, so the block stays served when the agent goes offline.
 * Pinning what is pinned already is a no-op, so a redelivered job is harmless. A block not found
 * in time is handed back: JetStream delivers the job again later, when its node may be back.
 */
export const pinHandler =
  (ipfs: IpfsPort, timeoutMs: number) =>
  async (job: PinJob, ctx: JobContext): Promise<void> => {
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
  };
