import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, must } from '../api/client';
import { bytes, duration } from '../format';
import {
  isShortcutKey,
  LIST_LABEL,
  mayTake,
  type ReviewAction,
  type ReviewList,
} from '../review-actions';

const LISTS: ReviewList[] = ['SUBMIT', 'POST', 'DISABLE'];

/**
 * A reviewer's lists, oldest first: SUBMIT assets to approve or reject, published ones to disable
 * or delete, disabled ones to recover or delete. One is selected: play it, read its probe, decide.
 */
export function ReviewQueue() {
  const queryClient = useQueryClient();
  const [list, setList] = useState<ReviewList>('SUBMIT');
  const queue = useQuery({
    queryKey: ['assets', 'review-queue', list],
    queryFn: async () => {
      const page = must(
        await api.GET('/api/v1/assets/audio', {
          params: { query: { status: list, limit: 100 } },
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
    mutationFn: async ({ action, id }: { action: ReviewAction; id: string }) => {
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

  const run = (action: ReviewAction) => {
    if (!selected || !mayTake(list, action)) return;
    if (action === 'reject' && !reason.trim()) {
      setMessage('write the reason the contributor will see, then reject');
      reasonRef.current?.focus();
      return;
    }
    act.mutate({ action, id: selected.id });
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!isShortcutKey({ ...event, target: event.target as HTMLInputElement | null })) return;
      const index = items.findIndex((a) => a.id === selected?.id);
      const keys: Record<string, () => void> = {
        j: () => setSelectedId(items[Math.min(items.length - 1, index + 1)]?.id),
        k: () => setSelectedId(items[Math.max(0, index - 1)]?.id),
        ...(mayTake(list, 'resolve') && { a: () => run('resolve') }),
        ...(mayTake(list, 'reject') && { r: () => reasonRef.current?.focus() }),
        ...(mayTake(list, 'disable') && { d: () => run('disable') }),
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

  const button = (action: ReviewAction, label: string, className?: string) =>
    mayTake(list, action) && (
      <button type="button" className={className} onClick={() => run(action)}>
        {label}
      </button>
    );

  return (
    <section aria-labelledby="review-title">
      <h2 id="review-title">Review queue</h2>
      <fieldset className="lists">
        <legend>Show</legend>
        {LISTS.map((l) => (
          <label key={l}>
            <input
              type="radio"
              name="review-list"
              value={l}
              checked={list === l}
              onChange={() => {
                setList(l);
                setSelectedId(undefined);
                setMessage('');
              }}
            />
            {LIST_LABEL[l]}
          </label>
        ))}
      </fieldset>
      <p className="hint">
        Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous;{' '}
        {list === 'SUBMIT' && (
          <>
            <kbd>a</kbd> approve, <kbd>r</kbd> write a rejection reason (<kbd>Ctrl</kbd>+
            <kbd>Enter</kbd> rejects).
          </>
        )}
        {list === 'POST' && (
          <>
            <kbd>d</kbd> disable.
          </>
        )}
        {list === 'DISABLE' && <>recover or delete with the buttons.</>}
      </p>
      <p role="status" aria-live="polite" className="message">
        {message}
      </p>
      {queue.isError && <p role="alert">Could not load the list: {queue.error.message}</p>}
      <div className="split">
        <ul className="queue" aria-label={`Assets ${LIST_LABEL[list].toLowerCase()}, oldest first`}>
          {items.length === 0 && !queue.isPending && (
            <li>{list === 'SUBMIT' ? 'Nothing waits for review.' : 'None.'}</li>
          )}
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
            <Player
              key={selected.id}
              name={selected.name}
              src={`/api/v1/assets/audio/download/${selected.id}?file=2`}
            />
            <dl className="probe">
              <dt>Owner</dt>
              <dd>{selected.userId}</dd>
              <dt>Status</dt>
              <dd>{selected.status}</dd>
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
              {button('resolve', 'Approve (a)')}
              {button('disable', 'Disable (d)')}
              {button('recover', 'Recover')}
              {button('delete', 'Delete', 'danger')}
            </div>
            {mayTake(list, 'reject') && (
              <>
                <label htmlFor="reject-reason">
                  Reason for rejecting (the contributor sees it)
                </label>
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
              </>
            )}
          </article>
        )}
      </div>
    </section>
  );
}

/**
 * The live rendition with the page's own controls. Chromium's built-in audio controls keep every
 * key press to themselves once clicked, so after pressing play there the queue's shortcuts did
 * nothing; a button and a slider pass the keys on and are reachable by Tab.
 */
function Player({ src, name }: { src: string; name: string }) {
  const audio = useRef<HTMLAudioElement>(null);
  const [playing, setPlaying] = useState(false);
  const [time, setTime] = useState(0);
  const [length, setLength] = useState(0);
  const [error, setError] = useState('');
  return (
    <div className="player">
      <audio
        ref={audio}
        preload="metadata"
        src={src}
        onPlay={() => setPlaying(true)}
        onPause={() => setPlaying(false)}
        // While a seek is under way the element may still report the old position: showing it
        // would pull the slider back under a person holding an arrow key.
        onTimeUpdate={(e) => {
          if (!e.currentTarget.seeking) setTime(e.currentTarget.currentTime);
        }}
        onSeeked={(e) => setTime(e.currentTarget.currentTime)}
        onDurationChange={(e) => setLength(e.currentTarget.duration || 0)}
        onError={(e) =>
          setError(`cannot play: ${e.currentTarget.error?.message || 'the file did not load'}`)
        }
      />
      <button
        type="button"
        aria-label={`${playing ? 'Pause' : 'Play'} ${name}`}
        onClick={() => {
          const el = audio.current;
          if (!el) return;
          if (el.paused) el.play().catch((err: Error) => setError(`cannot play: ${err.message}`));
          else el.pause();
        }}
      >
        {playing ? 'Pause' : 'Play'}
      </button>
      <input
        type="range"
        min={0}
        max={Math.max(1, Math.floor(length))}
        step={1}
        value={Math.floor(time)}
        aria-label={`Position in ${name}`}
        aria-valuetext={`${duration(time * 1000)} of ${duration(length * 1000)}`}
        onChange={(e) => {
          const to = Number(e.target.value);
          setTime(to);
          if (audio.current) audio.current.currentTime = to;
        }}
      />
      <span className="time">
        {duration(time * 1000)} / {duration(length * 1000)}
      </span>
      {error && <p role="alert">{error}</p>}
    </div>
  );
}
