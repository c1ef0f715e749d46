import { EventSubjects, type AuditEntry, type AuditEvent } from '@media-vault/contracts';
import { newEventId, type OutboxEvent } from '@media-vault/service-kit';

/** One event per appended entry, on the source's audit subject. */
export function auditEvent(entry: AuditEntry, sourceOwner: string): OutboxEvent {
  const payload: AuditEvent = {
    id: newEventId(),
    type: 'audit.appended',
    at: new Date().toISOString(),
    source_owner: sourceOwner,
    record: entry,
  };
  return { subject: EventSubjects.audit(entry.source_id), payload };
}
