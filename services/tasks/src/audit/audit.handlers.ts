import { AuditCommandSubjects as A } from '@media-vault/contracts';
import type { CommandHandler, OutboxRelay } from '@media-vault/service-kit';
import type { AuditLog } from './audit.use-case.js';

type AuditSubjects = (typeof A)[keyof typeof A];

/** A source's audit log; an append that wrote an entry wakes the relay for its event. */
export const auditHandlers = (
  audit: AuditLog,
  relay: Pick<OutboxRelay, 'notify'>,
): { [K in AuditSubjects]: CommandHandler<K> } => ({
  [A.auditAppend]: async (request, { principal }) => {
    const { entry, changed } = await audit.append(principal, request);
    if (changed) relay.notify();
    return entry;
  },
  [A.auditList]: async ({ source_id }, { principal }) => audit.list(principal, source_id),
});
