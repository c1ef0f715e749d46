import type { UnpinJob } from '@media-vault/contracts';
import type { IpfsPort } from '@media-vault/ipfs';
import type { JobContext } from '@media-vault/service-kit';

/**
 * Unpins CIDs that no asset references any more. Unpinning what is not pinned is a no-op in the
 * port, so a redelivered job is harmless; the blocks go at the node's next garbage collection.
 */
export const unpinHandler =
  (ipfs: IpfsPort) =>
  async (job: UnpinJob, ctx: JobContext): Promise<void> => {
    for (const cid of job.cids) {
      await ipfs.unpin(cid);
      ctx.working();
    }
    ctx.log.info({ cids: job.cids }, 'unpinned');
  };
