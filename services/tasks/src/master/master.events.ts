import {
  EventSubjects,
  JobSubjects,
  MasterEventTypes,
  TaskEventSubjects,
  type FetchJob,
  type Grant,
  type GrantEvent,
  type GrantStatus,
  type MasterTaskKind,
  type ReleaseJob,
  type SealJob,
} from '@media-vault/contracts';
import { newEventId, type OutboxEvent } from '@media-vault/service-kit';

/**
 * The status event of one change to a task: the full record after the change, the status before
 * (null when the task was just created) and after.
 */
export function taskEvent<R extends { id: number; status: number }>(
  kind: MasterTaskKind,
  record: R,
  previousStatus: number | null,
): OutboxEvent {
  return {
    subject: TaskEventSubjects[kind](record.id),
    payload: {
      id: newEventId(),
      type:
        previousStatus === null ? MasterEventTypes.created(kind) : MasterEventTypes.updated(kind),
      at: new Date().toISOString(),
      previous_status: previousStatus,
      status: record.status,
      record,
    },
  };
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
