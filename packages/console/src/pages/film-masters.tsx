import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState, type FormEvent } from 'react';
import { api, must } from '../api/client';
import type { Session } from '../api/session';
import { useLiveEvent, type LiveEvent } from '../events/live-events';
import { taskStatusLabel } from '../format';

interface TaskRow {
  kind: string;
  id: number;
  source: string;
  sourceId: number;
  status: number;
  percent: number;
  reason: string;
}

const rowOf = (kind: string, record: Record<string, unknown>): TaskRow => ({
  kind,
  id: Number(record.id),
  source: String(record.source_name ?? ''),
  sourceId: Number(record.source_id),
  status: Number(record.status),
  percent: Number(record.percent ?? 0),
  reason: String(record.reason ?? ''),
});

/** The caller's film master tasks, live; the grants of one of their sources. */
export function FilmMasters({ session }: { session: Session }) {
  const uid = session.user.id;
  const [live, setLive] = useState<Record<string, TaskRow>>({});
  const [grantsOf, setGrantsOf] = useState<number>();
  const privateTasks = useQuery({
    queryKey: ['tasks', 'private'],
    queryFn: async () => must(await api.GET('/api/v1/tasks/upload/private/')).data,
  });
  // The caller's uploads and downloads as they stand; events then update the rows themselves.
  const earlier = useQuery({
    queryKey: ['tasks', 'mine', uid],
    queryFn: async () => {
      const { uploads, downloads } = must(await api.GET('/api/v1/tasks/')).data;
      return [
        ...uploads.map((t) => rowOf('upload', t as unknown as Record<string, unknown>)),
        ...downloads.map((t) => rowOf('download', t as unknown as Record<string, unknown>)),
      ];
    },
  });

  const onEvent = useCallback((event: LiveEvent) => {
    const kind = event.type.split('.')[0] ?? '';
    if (!['upload', 'download', 'private'].includes(kind)) return;
    const row = rowOf(kind, event.record);
    setLive((all) => ({ ...all, [`${kind}-${row.id}`]: row }));
  }, []);
  useLiveEvent(onEvent);

  const rows = new Map<string, TaskRow>();
  for (const row of earlier.data ?? []) rows.set(`${row.kind}-${row.id}`, row);
  for (const task of privateTasks.data ?? []) {
    rows.set(`private-${task.id}`, rowOf('private', task as unknown as Record<string, unknown>));
  }
  for (const [key, row] of Object.entries(live)) rows.set(key, row);

  return (
    <section aria-labelledby="masters-title">
      <h2 id="masters-title">Film masters</h2>
      <h3 id="tasks-title">My tasks</h3>
      <p className="hint">
        Your upload, download and private tasks, newest first; status changes arrive live (for
        example while <code>vault upload</code> runs).
      </p>
      {rows.size === 0 ? (
        <p>No tasks yet.</p>
      ) : (
        <table aria-labelledby="tasks-title">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Task</th>
              <th scope="col">Source</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
            </tr>
          </thead>
          <tbody>
            {[...rows.values()].map((t) => (
              <tr key={`${t.kind}-${t.id}`} data-task={`${t.kind}-${t.id}`}>
                <td>{t.kind}</td>
                <td>{t.id}</td>
                <td>
                  {t.source} <small>(source {t.sourceId})</small>{' '}
                  {t.kind === 'upload' && (
                    <button
                      type="button"
                      aria-label={`Grants of source ${t.sourceId}`}
                      onClick={() => setGrantsOf(t.sourceId)}
                    >
                      Grants
                    </button>
                  )}
                </td>
                <td className="task-status">
                  {taskStatusLabel(t.status)}
                  {t.reason && ` — ${t.reason}`}
                </td>
                <td>
                  <progress max={100} value={t.percent} aria-label={`Task ${t.id} progress`}>
                    {t.percent}%
                  </progress>{' '}
                  <span className="percent">{t.percent}%</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Grants key={grantsOf ?? 0} initial={grantsOf} />
    </section>
  );
}

function Grants({ initial }: { initial?: number | undefined }) {
  const queryClient = useQueryClient();
  const [sourceId, setSourceId] = useState(initial === undefined ? '' : String(initial));
  const [shown, setShown] = useState<number | undefined>(initial);
  const [user, setUser] = useState('');
  const [notAfter, setNotAfter] = useState('');
  const [message, setMessage] = useState('');
  const grants = useQuery({
    queryKey: ['grants', shown],
    enabled: shown !== undefined,
    queryFn: async () =>
      must(
        await api.GET('/api/v1/sources/{source_id}/grants/', {
          params: { path: { source_id: shown! } },
        }),
      ).data,
  });
  const grant = useMutation({
    mutationFn: async () =>
      must(
        await api.POST('/api/v1/sources/{source_id}/grants/', {
          params: { path: { source_id: shown! } },
          body: {
            user_id: user,
            ...(notAfter ? { not_after: new Date(notAfter).toISOString() } : {}),
          },
        }),
      ),
    onSuccess: () => setMessage(`granted to ${user}`),
    onError: (err) => setMessage(`failed: ${err.message}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['grants'] }),
  });
  const revoke = useMutation({
    mutationFn: async (userId: string) =>
      must(
        await api.DELETE('/api/v1/sources/{source_id}/grants/{user_id}/', {
          params: { path: { source_id: shown!, user_id: userId } },
        }),
      ),
    onSuccess: (_r, userId) => setMessage(`revoked for ${userId}`),
    onError: (err) => setMessage(`failed: ${err.message}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['grants'] }),
  });

  const show = (e: FormEvent) => {
    e.preventDefault();
    const id = Number(sourceId);
    if (Number.isInteger(id) && id > 0) setShown(id);
  };

  return (
    <div className="grants">
      <h3>Grants of a source</h3>
      <form onSubmit={show} className="inline">
        <label htmlFor="source-id">Source id</label>
        <input
          id="source-id"
          inputMode="numeric"
          value={sourceId}
          onChange={(e) => setSourceId(e.target.value)}
        />
        <button type="submit">Show grants</button>
      </form>
      <p role="status" aria-live="polite">
        {message}
      </p>
      {grants.isError && <p role="alert">{grants.error.message}</p>}
      {shown !== undefined && grants.data && (
        <>
          <p>
            <a href={`#/audit/${shown}`}>Audit log of source {shown}</a> (verified in this browser)
          </p>
          <table aria-label={`Grants of source ${shown}`}>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Window</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {grants.data.map((g) => (
                <tr key={g.id}>
                  <td>{g.user_id}</td>
                  <td>
                    {g.not_before ?? '…'} – {g.not_after ?? '…'}
                  </td>
                  <td>
                    {g.status}
                    {g.valid ? ' (valid now)' : ''}
                  </td>
                  <td>
                    {g.status === 'active' && (
                      <button type="button" onClick={() => revoke.mutate(g.user_id)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <form
            className="inline"
            onSubmit={(e) => {
              e.preventDefault();
              grant.mutate();
            }}
          >
            <label htmlFor="grant-user">User id</label>
            <input
              id="grant-user"
              value={user}
              onChange={(e) => setUser(e.target.value)}
              required
            />
            <label htmlFor="grant-until">Valid until (optional)</label>
            <input
              id="grant-until"
              type="datetime-local"
              value={notAfter}
              onChange={(e) => setNotAfter(e.target.value)}
            />
            <button type="submit">Grant</button>
          </form>
        </>
      )}
    </div>
  );
}
