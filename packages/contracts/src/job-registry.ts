/**
 * Every job on the JOBS work queue, keyed by subject. Agent-addressed subjects carry the agent id
 * as their `*` token; a concrete subject finds its entry through `jobSubjectOf`.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import {
  AssetJobSubjects,
  CleanupJob,
  IpfsAddJob,
  MergedJob,
  MergeJob,
  UnpinJob,
} from './audio-asset-jobs.js';
import { JobSubjects } from './jobs.js';
import { ComposedJob, ComposeJob, FetchJob, PinJob, ReleaseJob, SealJob } from './master-jobs.js';
import { JobConsumers } from './nats-permissions.js';
import { subjectMatches } from './subject-match.js';

export const Jobs = {
  'jobs.ipfs.*.seal': SealJob,
  'jobs.ipfs.*.fetch': FetchJob,
  'jobs.ipfs.*.release': ReleaseJob,
  'jobs.ipfs.*.composed': ComposedJob,
  'jobs.media.*.compose': ComposeJob,
  [JobSubjects.pin]: PinJob,
  [AssetJobSubjects.merge]: MergeJob,
  [AssetJobSubjects.ipfsAdd]: IpfsAddJob,
  [AssetJobSubjects.merged]: MergedJob,
  [AssetJobSubjects.cleanup]: CleanupJob,
  [AssetJobSubjects.unpin]: UnpinJob,
} as const satisfies Record<string, TSchema>;

export type JobSubject = keyof typeof Jobs;
export type JobOf<S extends JobSubject> = Static<(typeof Jobs)[S]>;

/** The registry entry a concrete job subject belongs to, or undefined when none declares it. */
export const jobSubjectOf = (subject: string): JobSubject | undefined =>
  (Object.keys(Jobs) as JobSubject[]).find((pattern) => subjectMatches(pattern, subject));

/**
 * The jobs each platform worker serves, with the durable consumer (shared by its replicas) of
 * each: a worker's handler map is typed from its entry, so a job it must serve cannot go unhandled.
 */
export const WorkerJobs = {
  assets: {
    [AssetJobSubjects.merged]: JobConsumers.assetsMerged.name,
    [AssetJobSubjects.cleanup]: JobConsumers.assetsCleanup.name,
  },
  'ipfs-worker': {
    [AssetJobSubjects.ipfsAdd]: JobConsumers.ipfsAdd.name,
    [AssetJobSubjects.unpin]: JobConsumers.ipfsUnpin.name,
    [JobSubjects.pin]: JobConsumers.ipfsPin.name,
  },
  'media-worker': {
    [AssetJobSubjects.merge]: JobConsumers.mediaMerge.name,
  },
} as const satisfies Record<string, Partial<Record<JobSubject, string>>>;

export type JobWorker = keyof typeof WorkerJobs;
export type JobsServedBy<W extends JobWorker> = keyof (typeof WorkerJobs)[W] & JobSubject;
