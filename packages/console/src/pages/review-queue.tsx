import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, must } from '../api/client';
import { bytes, duration } from '../format';

type Action = 'resolve' | 'disable' | 'recover' | 'delete' | 'reject';

/** SUBMIT assets oldest first, one selected: play it, read its probe, decide. */
export function ReviewQueue() {
  const queryClient = useQueryClient();
  const queue = useQuery({
    queryKey: ['assets', 'review-queue'],
    queryFn: async () => {
      const page = must(
        await api.GET('/api/v1/assets/audio', {
          params: { query: { status: 'SUBMIT', limit: 100 } },
        }),
      );
      return [...page.items].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
  });
  const [selectedId, setSelectedId] = useState<string>();
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState('');
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const items = queue.data ?? [];
  const selected = items.find((a) => a.id === selectedId) ?? items[0];

  const act = useMutation({
    mutationFn: async ({ action, id }: { action: Action; id: string }) => {
      const path = { params: { path: { id } } };
      if (action === 'reject') {
        return must(
          await api.POST('/api/v1/assets/audio/reject/{id}', { ...path, body: { reason } }),
        );
      }
      if (action === 'delete') return must(await api.DELETE('/api/v1/assets/audio/{id}', path));
      return must(await api.POST(`/api/v1/assets/audio/${action}/{id}`, path));
    },
    onSuccess: (result, { action, id }) => {
      setMessage(`${action}: asset ${id} is now ${result.asset.status}`);
      setReason('');
      void queryClient.invalidateQueries({ queryKey: ['assets'] });
    },
    onError: (err) => setMessage(`failed: ${err.message}`),
  });

  const run = (action: Action) => {
    if (!selected) return;
    if (action === 'reject' && !reason.trim()) {
      setMessage('write the reason the contributor will see, then reject');
      reasonRef.current?.focus();
      return;
    }
    act.mutate({ action, id: selected.id });
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (
        target.closest('textarea, input, select') ||
        event.ctrlKey ||
        event.metaKey ||
        event.altKey
      )
        return;
      const index = items.findIndex((a) => a.id === selected?.id);
      const keys: Record<string, () => void> = {
        j: () => setSelectedId(items[Math.min(items.length - 1, index + 1)]?.id),
        k: () => setSelectedId(items[Math.max(0, index - 1)]?.id),
        a: () => run('resolve'),
        r: () => reasonRef.current?.focus(),
        d: () => run('disable'),
      };
      const handler = keys[event.key];
      if (handler) {
        event.preventDefault();
        handler();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <section aria-labelledby="review-title">
      <h2 id="review-title">Review queue</h2>
      <p className="hint">
        Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous, <kbd>a</kbd> approve, <kbd>r</kbd> write a
        rejection reason (<kbd>Ctrl</kbd>+<kbd>Enter</kbd> rejects), <kbd>d</kbd> disable.
      </p>
      <p role="status" aria-live="polite" className="message">
        {message}
      </p>
      {queue.isError && <p role="alert">Could not load the queue: {queue.error.message}</p>}
      <div className="split">
        <ul className="queue" aria-label="Assets waiting for review, oldest first">
          {items.length === 0 && !queue.isPending && <li>Nothing waits for review.</li>}
          {items.map((asset) => (
            <li key={asset.id}>
              <button
                type="button"
                aria-current={asset.id === selected?.id}
                onClick={() => setSelectedId(asset.id)}
              >
                {asset.name}{' '}
                <small>
                  by {asset.userId}, {new Date(asset.createdAt).toLocaleString()}
                </small>
              </button>
            </li>
          ))}
        </ul>
        {selected && (
          <article className="detail" aria-label={`Asset ${selected.name}`}>
            <h3>{selected.name}</h3>
            <audio
              key={selected.id}
              controls
              preload="metadata"
              aria-label={`Play ${selected.name}`}
              src={`/api/v1/assets/audio/download/${selected.id}?file=2`}
            />
            <dl className="probe">
              <dt>Owner</dt>
              <dd>{selected.userId}</dd>
              <dt>Size</dt>
              <dd>{bytes(Number(selected.size))}</dd>
              {selected.probe && (
                <>
                  <dt>Duration</dt>
                  <dd>{duration(selected.probe.durationMs)}</dd>
                  <dt>Format</dt>
                  <dd>
                    {selected.probe.formatName} / {selected.probe.codec},{' '}
                    {selected.probe.sampleRate} Hz, {selected.probe.channels} ch,{' '}
                    {Math.round(selected.probe.bitrate / 1000)} kbit/s
                  </dd>
                </>
              )}
              <dt>Files</dt>
              <dd>
                {selected.files
                  .map((f) => `#${f.file} ${Math.round(f.bitrate / 1000)} kbit/s`)
                  .join(', ')}
              </dd>
            </dl>
            <div className="actions">
              <button type="button" onClick={() => run('resolve')}>
                Approve (a)
              </button>
              <button type="button" onClick={() => run('disable')}>
                Disable (d)
              </button>
              <button type="button" onClick={() => run('recover')}>
                Recover
              </button>
              <button type="button" className="danger" onClick={() => run('delete')}>
                Delete
              </button>
            </div>
            <label htmlFor="reject-reason">Reason for rejecting (the contributor sees it)</label>
            <textarea
              id="reject-reason"
              ref={reasonRef}
              value={reason}
              maxLength={1000}
              onChange={(e) => setReason(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) run('reject');
              }}
            />
            <button type="button" onClick={() => run('reject')}>
              Reject with reason
            </button>
          </article>
        )}
      </div>
    </section>
  );
}
