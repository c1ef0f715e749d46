import { Streams, VaultError } from '@media-vault/contracts';
import type { NatsConnection } from '@media-vault/service-kit';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import type { FastifyInstance } from 'fastify';
import { once } from 'node:events';
import { principalOf } from './auth.js';
import { maySeeEvent, resumeSequence } from '../console/event-visibility.rules.js';

export interface EventsSseOptions {
  readonly nc: NatsConnection;
  readonly heartbeatMs?: number;
  /** Longest a browser may leave written events unread before it is cut off (it resumes). */
  readonly slowClientMs?: number;
}

const EnvelopeError = {
  type: 'object',
  required: ['data', 'message'],
  properties: { data: { type: 'null' }, message: { type: 'string' } },
} as const;

/** Messages pulled from the stream at a time: with the socket's buffer, all a connection holds. */
const PULL_BATCH = 32;

/**
 * `GET /api/v1/events/`: the EVENTS stream as Server-Sent Events, filtered to what the caller may
 * see. Each connection reads through its own ordered consumer, so `Last-Event-ID` (the stream
 * sequence) resumes exactly where the browser stopped, and a slow browser slows only its own
 * pulls: the next batch is asked for only once the last one was written out.
 */
export async function eventsSsePlugin(app: FastifyInstance, opts: EventsSseOptions): Promise<void> {
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const slowClientMs = opts.slowClientMs ?? 30_000;
  // Open streams never end by themselves: closing the gateway ends them (browsers reconnect to
  // another replica and resume), or the server would wait for every tab to be closed.
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const stop of open) stop();
  });
  app.get(
    '/api/v1/events/',
    {
      onRequest: app.requireUser(),
      schema: {
        tags: ['console'],
        summary:
          'Live status events (Server-Sent Events): your tasks, assets and grants, and the audit ' +
          'log entries of your sources; reviewers the ' +
          'review queue; root everything. Each event: `id` the EVENTS stream sequence (send it ' +
          'back as Last-Event-ID to resume), `data` the status event JSON (its `type` inside). ' +
          'A comment line every 15 s keeps proxies from closing the connection.',
        headers: {
          type: 'object',
          properties: {
            'last-event-id': { type: 'string', pattern: '^[0-9]{1,15}$' },
          },
        },
        response: {
          200: {
            description: 'An endless text/event-stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          400: EnvelopeError,
          401: EnvelopeError,
          503: EnvelopeError,
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const from = resumeSequence(request.headers['last-event-id']);
      const messages = await jetstream(opts.nc)
        .consumers.get(Streams.events.name, {
          filter_subjects: [Streams.events.subjects[0]],
          ...(from === undefined
            ? { deliver_policy: DeliverPolicy.New }
            : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from + 1 }),
        })
        .then((consumer) => consumer.consume({ max_messages: PULL_BATCH }))
        .catch((err: unknown) => {
          throw new VaultError('unavailable', 'the event stream cannot be read now', {
            cause: err,
          });
        });

      reply.hijack();
      const res = reply.raw;
      const socket = request.raw.socket;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no', // nginx would otherwise hold events back
        'x-request-id': request.id,
      });
      res.write(`retry: 2000\n: connected\n\n`);
      const heartbeat = setInterval(() => res.write(`: heartbeat\n\n`), heartbeatMs);
      let closed = false;
      const stop = () => {
        if (closed) return;
        closed = true;
        open.delete(stop);
        clearInterval(heartbeat);
        messages.stop();
        // A stream's connection is never reused (a browser reconnects on a new one): close it,
        // so neither side keeps it open as idle keep-alive.
        if (!res.writableEnded) res.end();
        socket.destroy();
      };
      res.once('close', stop);
      open.add(stop);

      try {
        for await (const m of messages) {
          if (closed) break;
          let event: Parameters<typeof maySeeEvent>[2];
          try {
            event = m.json();
          } catch {
            continue;
          }
          if (!maySeeEvent(principal, m.subject, event)) continue;
          // Unnamed events: a page's one onmessage sees them all; the type is in the data.
          const ok = res.write(`id: ${m.seq}\ndata: ${JSON.stringify(event)}\n\n`);
          if (!ok) {
            // The browser is not reading: wait for it a while, else let it reconnect and resume.
            const drained = await Promise.race([
              once(res, 'drain').then(() => true),
              new Promise<boolean>((done) => setTimeout(() => done(false), slowClientMs).unref()),
            ]);
            if (!drained) break;
          }
        }
      } catch (err) {
        request.log.warn({ err }, 'event stream ended');
      } finally {
        stop();
      }
    },
  );
}
