import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState, type DragEvent } from 'react';
import { api, must } from '../api/client';
import type { Session } from '../api/session';
import { useLiveEvent, type LiveEvent } from '../events/live-events';
import { bytes, uploadLabel } from '../format';
import { pendingUploads, uploadFile, type UploadProgress } from '../upload/chunked-upload';

// The owner's list holds every status; drafts and rejections have tables of their own below.
const elsewhere = new Set(['DRAFT', 'REJECT', 'DELETE']);

/** Drop mp3 files, watch each upload, see drafts and rejects with their reasons. */
export function MyAudio({ session }: { session: Session }) {
  const queryClient = useQueryClient();
  const [uploads, setUploads] = useState<Record<string, UploadProgress>>({});
  const [dragging, setDragging] = useState(false);
  const [pending, setPending] = useState(pendingUploads);
  const uid = session.user.id;

  // An upload's status after the merge (MERGING, then SUBMIT) follows its asset's events.
  const onEvent = useCallback((event: LiveEvent) => {
    if (!event.type.startsWith('audio.')) return;
    const id = String(event.record.id);
    setUploads((all) => {
      const entry = Object.entries(all).find(([, u]) => u.assetId === id && u.state === 'done');
      return entry ? { ...all, [entry[0]]: { ...entry[1], status: String(event.status) } } : all;
    });
  }, []);
  useLiveEvent(onEvent);

  const list = (kind: 'drafts' | 'rejects') =>
    useQuery({
      queryKey: ['assets', kind, uid],
      queryFn: async () =>
        must(
          await api.GET(`/api/v1/assets/audio/${kind}/{uid}`, {
            params: { path: { uid }, query: { limit: 100 } },
          }),
        ).items,
    });
  const drafts = list('drafts');
  const rejects = list('rejects');
  const submitted = useQuery({
    queryKey: ['assets', 'mine', uid],
    queryFn: async () =>
      must(
        await api.GET('/api/v1/assets/audio', { params: { query: { owner: uid, limit: 100 } } }),
      ).items.filter((a) => !elsewhere.has(a.status)),
  });

  const remove = useMutation({
    mutationFn: async ({ kind, id }: { kind: 'drafts' | 'reject'; id: string }) =>
      must(await api.DELETE(`/api/v1/assets/audio/${kind}/{id}`, { params: { path: { id } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['assets'] }),
  });

  const start = (files: File[]) => {
    for (const file of files) {
      void uploadFile(file, (progress) =>
        setUploads((all) => ({ ...all, [file.name]: progress })),
      ).then(() => {
        setPending(pendingUploads());
        void queryClient.invalidateQueries({ queryKey: ['assets'] });
      });
    }
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    start([...event.dataTransfer.files]);
  };

  return (
    <section aria-labelledby="audio-title">
      <h2 id="audio-title">My audio</h2>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>Drop mp3 files here, or</p>
        <input
          id="file-input"
          className="visually-hidden"
          type="file"
          accept="audio/mpeg,.mp3"
          multiple
          onChange={(e) => start([...(e.target.files ?? [])])}
        />
        <label htmlFor="file-input" className="button">
          Choose files
        </label>
      </div>
      {pending.length > 0 && (
        <div className="pending">
          <h3>Unfinished uploads</h3>
          <p>Drop the same file again to resume: only the missing chunks are sent.</p>
          <ul>
            {pending.map((p) => (
              <li key={p.hash}>
                {p.name} ({bytes(p.size)})
              </li>
            ))}
          </ul>
        </div>
      )}
      <ul className="uploads" aria-label="Uploads">
        {Object.values(uploads).map((u) => (
          <li key={u.name} data-upload={u.name} data-state={u.state}>
            <label>
              {u.name}: {uploadLabel(u.state, u.status)}
              {u.resumedChunks > 0 && ` (resumed, ${u.resumedChunks} chunks already stored)`}
              {u.error && ` — ${u.error}`}
              {u.notice && ` — ${u.notice}`}
              <progress max={u.totalBytes} value={u.sentBytes}>
                {Math.round((100 * u.sentBytes) / Math.max(1, u.totalBytes))}%
              </progress>
            </label>
          </li>
        ))}
      </ul>
      <AssetTable title="Submitted and published" items={submitted.data ?? []} />
      <AssetTable
        title="Drafts"
        items={drafts.data ?? []}
        onDelete={(id) => remove.mutate({ kind: 'drafts', id })}
      />
      <AssetTable
        title="Rejected"
        items={rejects.data ?? []}
        showReason
        onDelete={(id) => remove.mutate({ kind: 'reject', id })}
      />
    </section>
  );
}

interface AssetRow {
  id: string;
  name: string;
  status: string;
  reason: string;
  size: string;
}

function AssetTable(props: {
  title: string;
  items: AssetRow[];
  showReason?: boolean;
  onDelete?: (id: string) => void;
}) {
  const id = `table-${props.title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <div className="table-block">
      <h3 id={id}>{props.title}</h3>
      {props.items.length === 0 ? (
        <p>None.</p>
      ) : (
        <table aria-labelledby={id}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Size</th>
              {props.showReason && <th scope="col">Reason</th>}
              {props.onDelete && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {props.items.map((a) => (
              <tr key={a.id} data-asset={a.name}>
                <td>{a.name}</td>
                <td>{a.status}</td>
                <td>{bytes(Number(a.size))}</td>
                {props.showReason && <td className="reason">{a.reason}</td>}
                {props.onDelete && (
                  <td>
                    <button
                      type="button"
                      onClick={() => props.onDelete?.(a.id)}
                      aria-label={`Delete ${a.name}`}
                    >
                      Delete
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
