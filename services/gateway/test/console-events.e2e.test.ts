import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMasterStack, waitFor, type MasterStack } from './helpers.js';

interface SseEvent {
  readonly id: number;
  readonly data: { type: string; status: number; record: { id: number; user_id: string } };
}

/** Reads GET /api/v1/events/ as a browser would, collecting the events it parses. */
async function openEvents(url: string, token: string, lastEventId?: number) {
  const abort = new AbortController();
  const res = await fetch(`${url}/api/v1/events/`, {
    headers: { token, ...(lastEventId ? { 'last-event-id': String(lastEventId) } : {}) },
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((line) => !line.startsWith(':'))
            .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
        );
        for (const line of block.split('\n')) if (line.startsWith(':')) comments.push(line);
        if (fields.data) events.push({ id: Number(fields.id), data: JSON.parse(fields.data) });
      }
    }
  })().catch(() => undefined);
  await waitFor('the stream to open', () => comments.includes(': connected'));
  return {
    res,
    events,
    close: async () => {
      abort.abort();
      await reading;
    },
  };
}

describe('GET /api/v1/events/ (Server-Sent Events from EVENTS)', () => {
  let stack: MasterStack;
  const run = Date.now().toString(36);
  const ann = `ann-${run}`;
  const bob = `bob-${run}`;

  beforeAll(async () => {
    stack = await startMasterStack({ label: 'console_events' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const createTask = async (token: string, name: string) => {
    const res = await stack.call<{ data: { id: number } }>('POST', '/api/v1/tasks/upload/pbulic/', {
      token,
      fields: { series_id: 1, uuid: `${name}-${run}`, source_name: name },
    });
    expect(res.status).toBe(200);
    return res.body.data.id;
  };

  it('sends each caller only their own tasks, root everything; Last-Event-ID resumes', async () => {
    const annToken = await stack.token(ann);
    const bobToken = await stack.token(bob);
    const rootToken = await stack.token(`root-${run}`, [1]);
    const annStream = await openEvents(stack.url, annToken);
    const rootStream = await openEvents(stack.url, rootToken);
    expect(annStream.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(annStream.res.headers.get('cache-control')).toBe('no-store');

    const annTask = await createTask(annToken, 'Ann film');
    const bobTask = await createTask(bobToken, 'Bob film');
    const moved = await stack.call('PATCH', `/api/v1/tasks/upload/pbulic/${annTask}/`, {
      token: annToken,
      fields: { status: 3, percent: 40 },
    });
    expect(moved.status).toBe(200);

    await waitFor('root to see both tasks and the change', () =>
      rootStream.events.filter((e) => e.data.type.startsWith('upload.')).length >= 3
        ? true
        : undefined,
    );
    await waitFor('ann to see her two events', () => annStream.events.length >= 2 || undefined);
    await stack.flushEvents();
    expect(annStream.events.map((e) => [e.data.type, e.data.record.id, e.data.status])).toEqual([
      ['upload.created', annTask, 0],
      ['upload.updated', annTask, 3],
    ]);
    expect(rootStream.events.some((e) => e.data.record.id === bobTask)).toBe(true);
    // Ids are the stream sequence, increasing.
    const [first, second] = annStream.events;
    expect(second!.id).toBeGreaterThan(first!.id);
    await annStream.close();
    await rootStream.close();

    // A browser that saw only the first event reconnects with its id and gets the rest.
    const resumed = await openEvents(stack.url, annToken, first!.id);
    await waitFor('the missed event to be replayed', () => resumed.events.length >= 1 || undefined);
    expect(resumed.events[0]).toEqual(second);
    await resumed.close();
  });

  it('refuses a caller without a token', async () => {
    const res = await fetch(`${stack.url}/api/v1/events/`);
    expect(res.status).toBe(401);
  });
});
