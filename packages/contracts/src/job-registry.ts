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
import { ComposedJob, ComposeJob, FetchJob, ReleaseJob, SealJob } from './master-jobs.js';
import { subjectMatches } from './subject-match.js';

export const Jobs = {
  'jobs.ipfs.*.seal': SealJob,
  'jobs.ipfs.*.fetch': FetchJob,
  'jobs.ipfs.*.release': ReleaseJob,
  'jobs.ipfs.*.composed': ComposedJob,
  'jobs.media.*.compose': ComposeJob,
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
