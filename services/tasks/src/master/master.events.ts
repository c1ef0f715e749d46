import {
  AssetJobSubjects,
  EventSubjects,
  JobSubjects,
  MasterEventTypes,
  TaskEventSubjects,
  type FetchJob,
  type Grant,
  type GrantEvent,
  type GrantStatus,
  type EventOf,
  type MasterTaskKind,
  type PinJob,
  type ReleaseJob,
  type SealJob,
  type SignedGrant,
  type UnpinJob,
} from '@media-vault/contracts';
import { newEventId, type OutboxEvent } from '@media-vault/service-kit';
import type { AgentRow } from '../db/schema.js';
import type { DownloadView, UploadView } from './master.mapper.js';

/** The event schema a task kind's changes are declared with in the contracts' registry. */
type TaskEvent<K extends MasterTaskKind> = EventOf<`events.tasks.${K}.*`>;

/**
 * The status event of one change to a task: the full record after the change, the status before
 * (null when the task was just created) and after.
 */
export function taskEvent<K extends MasterTaskKind>(
  kind: K,
  record: TaskEvent<K>['record'],
  previousStatus: number | null,
): OutboxEvent {
  const payload = {
    id: newEventId(),
    type: previousStatus === null ? MasterEventTypes.created(kind) : MasterEventTypes.updated(kind),
    at: new Date().toISOString(),
    previous_status: previousStatus,
    status: record.status,
    record,
  } as TaskEvent<K>;
  return { subject: TaskEventSubjects[kind](record.id), payload };
}

export function grantEvent(grant: Grant, previous: GrantStatus | null): OutboxEvent {
  const payload: GrantEvent = {
    id: newEventId(),
    type:
      previous === null
        ? MasterEventTypes.created('grant')
        : grant.status === 'revoked'
          ? MasterEventTypes.revoked
          : MasterEventTypes.updated('grant'),
    at: new Date().toISOString(),
    previous_status: previous,
    status: grant.status,
    record: grant,
  };
  return { subject: EventSubjects.grant(grant.id), payload };
}

/** Jobs leave through the outbox too: enqueued in the transaction of the change that asks. */
export const sealJob = (job: Omit<SealJob, 'id'>): OutboxEvent => ({
  subject: JobSubjects.seal(job.agent),
  payload: { id: newEventId(), ...job },
});

export const fetchJob = (job: Omit<FetchJob, 'id'>): OutboxEvent => ({
  subject: JobSubjects.fetch(job.agent),
  payload: { id: newEventId(), ...job },
});

export const releaseJob = (job: Omit<ReleaseJob, 'id'>): OutboxEvent => ({
  subject: JobSubjects.release(job.agent),
  payload: { id: newEventId(), ...job },
});

/** The platform's ipfs-worker pins a block an agent finished adding (see seedsBlock). */
export const pinJob = (job: Omit<PinJob, 'id'>): OutboxEvent => ({
  subject: JobSubjects.pin,
  payload: { id: newEventId(), ...job },
});

/** A deleted source's blocks leave the platform's node (the ipfs-worker's unpin job). */
export const unpinJob = (job: Omit<UnpinJob, 'id'>): OutboxEvent => ({
  subject: AssetJobSubjects.unpin,
  payload: { id: newEventId(), ...job },
});

/** The seal of a source whose upload names an agent and a path; none for a hand upload. */
export function sealJobsOf({ source, upload }: UploadView): OutboxEvent[] {
  if (!source.sealedBy || !source.ingestPath) return [];
  return [
    sealJob({
      agent: source.sealedBy,
      userId: upload.userId,
      taskId: upload.id,
      sourceId: source.id,
      uuid: source.uuid,
      sourceName: source.sourceName,
      path: source.ingestPath,
    }),
  ];
}

export interface DownloadAgents {
  /** The downloader's agent the download names, if it is registered. */
  readonly agent: AgentRow | undefined;
  /** The agent whose vault holds the source's private block, if it is registered. */
  readonly sealer: AgentRow | undefined;
}

/**
 * What the agents do for a download opened with the downloader's agent: that agent fetches, and
 * (with `release`) the source's sealer re-seals the private block to it. The private block can be
 * re-sealed only by the agent whose vault holds it, and only to an agent's key: with no sealer or
 * no downloader agent it is uploaded by hand, as in the seed.
 */
export function downloadJobsOf(
  view: DownloadView,
  { agent, sealer }: DownloadAgents,
  grant: SignedGrant | null,
  { fetch, release }: { fetch: boolean; release: boolean },
): OutboxEvent[] {
  const { source, upload, download, privateTask } = view;
  if (!agent) return [];
  const jobs: OutboxEvent[] = [];
  if (fetch) {
    jobs.push(
      fetchJob({
        agent: agent.id,
        userId: download.userId,
        downloadTaskId: download.id,
        privateTaskId: privateTask.id,
        sourceId: source.id,
        uuid: source.uuid,
        sourceName: source.sourceName,
        publicBlock: { hash: upload.hash, name: upload.name, size: upload.size },
        sealer: sealer
          ? { agent: sealer.id, signingKey: sealer.signingKey, ownerKey: sealer.ownerKey }
          : null,
        grant,
      }),
    );
  }
  if (release && sealer) {
    jobs.push(
      releaseJob({
        agent: sealer.id,
        ownerId: source.userId,
        privateTaskId: privateTask.id,
        downloadTaskId: download.id,
        sourceId: source.id,
        uuid: source.uuid,
        publicBlockCid: upload.hash,
        recipient: {
          userId: download.userId,
          agent: agent.id,
          peerId: agent.peerId,
          publicKey: agent.publicKey,
          signingKey: agent.signingKey,
        },
      }),
    );
  }
  return jobs;
}
