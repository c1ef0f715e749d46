import { verifyAuditChain, type AuditChainReport } from '@media-vault/sealed/audit-verify';
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, must } from '../api/client';

type AuditEntries = Awaited<ReturnType<typeof loadAudit>>;
type AuditEntry = AuditEntries[number];

async function loadAudit(sourceId: number) {
  return must(
    await api.GET('/api/v1/sources/{source_id}/audit/', {
      params: { path: { source_id: sourceId } },
    }),
  ).data;
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;

/** What an entry says happened, in a few words: the kind-specific `data` is opaque to the chain. */
export function whatHappened(entry: AuditEntry): string {
  const d = entry.data;
  const text = (name: string) => (typeof d[name] === 'string' && d[name] ? String(d[name]) : '');
  const until = text('not_after') ? ` until ${text('not_after')}` : '';
  switch (entry.kind) {
    case 'grant':
      return `granted to ${text('user_id')}${until}`;
    case 'revoke':
      return `revoked for ${text('user_id')}`;
    case 'release': {
      const to = d.recipient as { user_id?: string; agent?: string } | undefined;
      return `key released to ${to?.user_id ?? '?'} (agent ${to?.agent ?? '?'})${until}`;
    }
    case 'fetch':
      return `public block and key fetched for download ${String(d.download_task_id ?? '?')}`;
    case 'compose':
      return `master composed and checked for download ${String(d.download_task_id ?? '?')}`;
    case 'failure':
      return `${text('task')} task ${String(d.task_id ?? '?')} failed: ${text('reason')}`;
    default:
      return entry.kind;
  }
}

function Verdict({ report, count }: { report: AuditChainReport; count: number }) {
  if (report.ok) {
    return (
      <p className="verdict verdict-ok" role="status" data-verdict="ok">
        Chain verified in this browser: {count} {count === 1 ? 'entry' : 'entries'}, every hash link
        and agent signature checks
        {report.head && (
          <>
            ; head <code>{`${report.head.seq}:${report.head.hash}`}</code> (keep it to check later
            that nothing was cut off)
          </>
        )}
        .
      </p>
    );
  }
  const broken = report.firstBroken!;
  const where =
    broken.seq === undefined ? `entry #${(broken.index ?? 0) + 1}` : `entry ${broken.seq}`;
  return (
    <p className="verdict verdict-broken" role="alert" data-verdict="broken">
      Chain broken at {where}: {broken.reason} — {broken.message}
    </p>
  );
}

/**
 * A source's audit log, checked here: the entries come from the platform, but the verdict is the
 * browser's own, from the same canonical bytes, hashes and Ed25519 signatures `vault audit
 * --verify` checks (packages/sealed's audit-verify), so a rewritten entry shows as broken even
 * when the server says nothing.
 */
export function AuditLog({ sourceId }: { sourceId: number | undefined }) {
  const [typed, setTyped] = useState(sourceId === undefined ? '' : String(sourceId));
  const audit = useQuery({
    queryKey: ['audit', sourceId],
    enabled: sourceId !== undefined,
    queryFn: () => loadAudit(sourceId!),
  });
  const open = (e: FormEvent) => {
    e.preventDefault();
    const id = Number(typed);
    if (Number.isInteger(id) && id > 0) window.location.hash = `#/audit/${id}`;
  };
  const report = audit.data ? verifyAuditChain(audit.data, { sourceId: sourceId! }) : undefined;
  const checks = new Map(report?.entries.map((c) => [c.index, c]));

  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">
        {sourceId === undefined ? 'Audit log' : `Audit log of source ${sourceId}`}
      </h2>
      <p className="hint">
        Who was granted the master, and who released, fetched and composed it. Owner and root only.
        <a href="#/masters"> Back to film masters</a>
      </p>
      <form onSubmit={open} className="inline">
        <label htmlFor="audit-source">Source id</label>
        <input
          id="audit-source"
          inputMode="numeric"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
        <button type="submit">Open audit log</button>
      </form>
      {audit.isError && <p role="alert">{audit.error.message}</p>}
      {audit.data && report && (
        <>
          {audit.data.length === 0 ? (
            <p>No entries yet: the first grant starts the log.</p>
          ) : (
            <Verdict report={report} count={audit.data.length} />
          )}
          {audit.data.length > 0 && (
            <table aria-label={`Audit log of source ${sourceId}`} className="audit">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When (UTC)</th>
                  <th scope="col">What</th>
                  <th scope="col">Who</th>
                  <th scope="col">Signed by</th>
                  <th scope="col">Hash</th>
                  <th scope="col">Check</th>
                </tr>
              </thead>
              <tbody>
                {audit.data.map((entry, index) => {
                  const check = checks.get(index);
                  return (
                    <tr
                      key={entry.seq}
                      data-seq={entry.seq}
                      data-check={check?.ok ? 'ok' : (check?.problems[0]?.reason ?? 'unknown')}
                    >
                      <td>{entry.seq}</td>
                      <td>
                        <time dateTime={entry.at}>
                          {entry.at.replace('T', ' ').replace('Z', '')}
                        </time>
                      </td>
                      <td>
                        <strong>{entry.kind}</strong>: {whatHappened(entry)}
                      </td>
                      <td>
                        {entry.actor.user_id}
                        {entry.actor.agent && ` (agent ${entry.actor.agent})`}
                      </td>
                      <td>
                        {entry.signature ? (
                          <span title={entry.signature.signing_key}>{entry.signature.agent}</span>
                        ) : (
                          'the platform (unsigned)'
                        )}
                      </td>
                      <td>
                        <code title={entry.hash}>{short(entry.hash)}</code>
                      </td>
                      <td className={check?.ok ? 'check-ok' : 'check-broken'}>
                        {check?.ok ? '✓ ok' : `✗ ${check?.problems[0]?.reason ?? '?'}`}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
