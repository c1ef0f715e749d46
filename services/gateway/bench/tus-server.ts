/**
 * The peer in the chunk-ingest benchmark: a plain @tus/server with its file store, the way people
 * run resumable uploads, in its own process so its memory is measured alone.
 */
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const directory = process.argv[2];
if (!directory) throw new Error('usage: tus-server.ts <directory>');
const tus = new Server({ path: '/files', datastore: new FileStore({ directory }) });
const server = createServer((req, res) => void tus.handle(req, res));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
