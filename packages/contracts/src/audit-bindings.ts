/** Seed 000 style (`{data, message}`) routes of a source's audit log. */
import { AppendAuditBody, AuditCommandSubjects as A } from './audit.js';
import { bind, type HttpBinding } from './http-binding.js';
import { MasterSourceParams } from './master-tasks.js';

const tags = ['sources and grants'];

export const AuditBindings = [
  bind({
    method: 'GET',
    paths: ['/api/v1/sources/:source_id/audit/'],
    style: 'envelope',
    subject: A.auditList,
    tags,
    summary: "The source's audit log, in seq order (owner or root)",
    description:
      'Grants, revocations, releases, fetches, composes and failures as a hash chain; agents sign theirs. `vault audit <source_id> --verify` checks it offline (docs/sealed-format.md, "Audit log").',
    params: MasterSourceParams,
    errors: [400, 401, 404, 503, 504],
  }),
  bind({
    method: 'POST',
    paths: ['/api/v1/sources/:source_id/audit/'],
    style: 'envelope',
    subject: A.auditAppend,
    tags,
    summary: 'Append an entry signed by one of your agents (the owner, or a grantee)',
    description:
      "The body is what the agent signed; the service checks the signature against the agent's registered key and chains the entry. Sending an `entry_id` again returns the entry already there.",
    params: MasterSourceParams,
    body: AppendAuditBody,
    errors: [400, 401, 403, 404, 413, 415, 503, 504],
  }),
] as const satisfies readonly HttpBinding[];
