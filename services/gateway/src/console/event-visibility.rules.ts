import { Roles, type Principal } from '@media-vault/contracts';

/** The parts of a status event the filter reads; the rest goes to the browser as it is. */
export interface EventForFilter {
  readonly status?: unknown;
  readonly previous_status?: unknown;
  /** Whose source an audit event's entry is in. */
  readonly source_owner?: unknown;
  readonly record?: {
    readonly userId?: unknown;
    readonly user_id?: unknown;
    readonly granted_by?: unknown;
  };
}

const REVIEW_QUEUE_STATUS = 'SUBMIT';

/**
 * Whether a caller may see one event of the EVENTS stream (SPEC §12): root sees everything; others
 * their own tasks, assets and grants (given or received), and the audit log of their own sources
 * (who may read the log over HTTP); reviewers also every audio asset entering or leaving the
 * review queue. Agent events and anything unknown are root's alone.
 */
export function maySeeEvent(principal: Principal, subject: string, event: EventForFilter): boolean {
  if (principal.roles.includes(Roles.root)) return true;
  const record = event.record ?? {};
  if (subject.startsWith('events.assets.audio.')) {
    if (record.userId === principal.id) return true;
    return (
      principal.roles.includes(Roles.reviewerAssets) &&
      (event.status === REVIEW_QUEUE_STATUS || event.previous_status === REVIEW_QUEUE_STATUS)
    );
  }
  if (
    subject.startsWith('events.tasks.upload.') ||
    subject.startsWith('events.tasks.download.') ||
    subject.startsWith('events.tasks.private.')
  ) {
    return record.user_id === principal.id;
  }
  if (subject.startsWith('events.tasks.grant.')) {
    return record.user_id === principal.id || record.granted_by === principal.id;
  }
  if (subject.startsWith('events.tasks.audit.')) return event.source_owner === principal.id;
  return false;
}

/** The stream position a reconnecting browser names in Last-Event-ID, when it is one. */
export function resumeSequence(lastEventId: unknown): number | undefined {
  if (typeof lastEventId !== 'string' || !/^[0-9]{1,15}$/.test(lastEventId)) return undefined;
  const seq = Number(lastEventId);
  return seq > 0 ? seq : undefined;
}
