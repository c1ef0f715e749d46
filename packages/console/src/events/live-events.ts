import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

export interface LiveEvent {
  readonly seq: number;
  readonly type: string;
  readonly status: unknown;
  readonly record: Record<string, unknown>;
}

type Listener = (event: LiveEvent) => void;
const listeners = new Set<Listener>();

/** Calls `listener` for every live event while the component is mounted. */
export function useLiveEvent(listener: Listener): void {
  useEffect(() => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, [listener]);
}

/** Which cached queries an event makes stale: the page re-reads them, so it shows at once. */
const staleKeys = (type: string): string[][] => {
  if (type.startsWith('audio.')) return [['assets']];
  // A grant or revocation also appends to the source's audit log.
  if (type.startsWith('grant.')) return [['grants'], ['audit']];
  if (type.startsWith('audit.')) return [['audit']];
  return [['tasks']];
};

export type StreamState = 'connecting' | 'live' | 'off';

/**
 * One EventSource on /api/v1/events/ for the whole page. The browser reconnects by itself and
 * sends the last `id` back as Last-Event-ID, so events committed while it was away still arrive.
 */
export function useEventStream(enabled: boolean): StreamState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<StreamState>('off');
  useEffect(() => {
    if (!enabled) return;
    setState('connecting');
    const source = new EventSource('/api/v1/events/');
    source.onopen = () => setState('live');
    source.onerror = () => setState('connecting');
    source.onmessage = (message: MessageEvent<string>) => {
      let body: { type?: string; status?: unknown; record?: Record<string, unknown> };
      try {
        body = JSON.parse(message.data);
      } catch {
        return;
      }
      const event: LiveEvent = {
        seq: Number(message.lastEventId),
        type: body.type ?? '',
        status: body.status,
        record: body.record ?? {},
      };
      for (const queryKey of staleKeys(event.type)) {
        void queryClient.invalidateQueries({ queryKey });
      }
      for (const listener of listeners) listener(event);
    };
    return () => {
      source.close();
      setState('off');
    };
  }, [enabled, queryClient]);
  return state;
}
