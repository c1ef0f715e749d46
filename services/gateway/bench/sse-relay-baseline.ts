/**
 * The plain peer of the SSE bench: the smallest relay of the same EVENTS stream to browsers, one
 * ordered JetStream consumer shared by every connection, no token check, no per-caller filter, no
 * resume. Run by bench/sse-fanout.ts as its own process; prints `listening <url>`.
 */
import { Streams } from '@media-vault/contracts';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import Fastify from 'fastify';
import type { ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';

const nc = await connect({
  servers: process.env.NATS_URL!,
  authenticator: credsAuthenticator(await readFile(process.env.NATS_CREDS!)),
  inboxPrefix: process.env.NATS_INBOX_PREFIX!,
});
const clients = new Set<ServerResponse>();
const consumer = await jetstream(nc).consumers.get(Streams.events.name, {
  filter_subjects: [Streams.events.subjects[0]],
  deliver_policy: DeliverPolicy.New,
});
const messages = await consumer.consume();
void (async () => {
  for await (const m of messages) {
    const frame = `id: ${m.seq}\ndata: ${m.string()}\n\n`;
    for (const res of clients) res.write(frame);
  }
})();

const app = Fastify();
app.get('/events', (request, reply) => {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  res.write(': connected\n\n');
  clients.add(res);
  res.once('close', () => clients.delete(res));
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening ${url}`);
process.once('SIGTERM', () => {
  for (const res of clients) res.destroy();
  void app.close().then(() => nc.close());
});
