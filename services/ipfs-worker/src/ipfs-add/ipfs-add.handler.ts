import {
  AssetJobSubjects,
  type AssetFile,
  type IpfsAddJob,
  type MergedJob,
} from '@media-vault/contracts';
import type { IpfsPort } from '@media-vault/ipfs';
import {
  PermanentJobError,
  publishJob,
  type JobContext,
  type NatsConnection,
} from '@media-vault/service-kit';
import { BucketUnavailableError, type ObjectStorePort } from '@media-vault/object-store';

export interface IpfsAddHandlerDeps {
  readonly nc: NatsConnection;
  /** The staging buckets jobs name (the transit files of a merge). */
  readonly buckets: { open(bucket: string): Promise<ObjectStorePort> };
  readonly ipfs: IpfsPort;
}

/** The merge result's message id: one per job, shared with the media worker's failure report. */
export const mergedMsgId = (jobId: string): string => `${jobId}:merged`;

async function openTransitBucket(
  buckets: IpfsAddHandlerDeps['buckets'],
  bucket: string,
): Promise<ObjectStorePort> {
  try {
    return await buckets.open(bucket);
  } catch (err) {
    if (err instanceof BucketUnavailableError) {
      throw new PermanentJobError(err.message, { cause: err });
    }
    throw err;
  }
}

/** Deletes the job's transit objects; a missing one is already what we want. */
async function deleteTransit(
  store: ObjectStorePort,
  job: IpfsAddJob,
  onError: (err: unknown, object: string) => void,
): Promise<void> {
  for (const f of job.files) await store.delete(f.object).catch((err) => onError(err, f.object));
}

/**
 * jobs.ipfs.add: each merged file streams from the transit bucket into IPFS and is pinned, then
 * the assets service hears the result on jobs.assets.merged, and only then are the transit
 * objects deleted. Adding and pinning the same bytes again gives the same CID, and the result goes
 * out under one message id per job, so a rerun at any point changes nothing downstream.
 */
export function ipfsAddHandler(deps: IpfsAddHandlerDeps) {
  const { nc, buckets, ipfs } = deps;

  async function handle(job: IpfsAddJob, ctx: JobContext): Promise<void> {
    const store = await openTransitBucket(buckets, job.bucket);
    const files: AssetFile[] = [];
    for (const f of job.files) {
      if (!(await store.stat(f.object))) {
        throw new PermanentJobError(
          `file ${f.file} is missing: no object ${f.object} in bucket ${job.bucket}`,
        );
      }
      const added = await ipfs.add(store.get(f.object));
      // The object is no longer the file the job describes (a rerun of the merge rewrote it):
      // worth another try rather than a failed merge.
      if (added.size !== f.size) {
        throw new Error(`file ${f.file}: IPFS took ${added.size} bytes, the job says ${f.size}`);
      }
      await ipfs.pin(added.cid);
      files.push({
        file: f.file,
        cid: added.cid,
        size: String(added.size),
        bitrate: f.bitrate,
        sampleRate: f.sampleRate,
      });
      ctx.working();
    }

    const merged: MergedJob = {
      id: job.id,
      assetId: job.assetId,
      ok: true,
      probe: job.probe,
      files,
    };
    await publishJob(nc, AssetJobSubjects.merged, merged, mergedMsgId(job.id));
    ctx.log.info({ assetId: job.assetId, files }, 'merged files added to IPFS and pinned');

    // The result is out, so a failed delete only leaves a stray object: log it, do not retry
    // the job, because a rerun would find the files gone and report a failure.
    await deleteTransit(store, job, (err, object) =>
      ctx.log.warn({ err, bucket: job.bucket, object }, 'transit object not deleted'),
    );
  }

  /**
   * A job given up on still owes the assets service an answer; its transit objects are of no
   * further use. Pins already made stay: the same bytes may belong to another asset.
   */
  async function onGiveUp(job: IpfsAddJob, reason: string): Promise<void> {
    const result: MergedJob = { id: job.id, assetId: job.assetId, ok: false, reason };
    await publishJob(nc, AssetJobSubjects.merged, result, mergedMsgId(job.id));
    const store = await buckets.open(job.bucket).catch(() => undefined);
    if (store) await deleteTransit(store, job, () => undefined);
  }

  return { handle, onGiveUp };
}
