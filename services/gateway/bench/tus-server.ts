/**
 * The peer in the chunk-ingest benchmark: a plain @tus/server with its file store, the way people
 * run resumable uploads, in its own process so its memory is measured alone.
 * `tus-server.ts <directory> fdatasync` makes each PATCH durable before its reply, as the
 * gateway's staging is: the file store itself never flushes, so the plain peer is measured
 * against a promise ours keeps and it does not.
 */
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** The file store with its bytes and size on the disk before the PATCH is answered. */
class SyncedFileStore extends FileStore {
  constructor(private readonly dir: string) {
    super({ directory: dir });
  }

  override async write(
    readable: IncomingMessage | Readable,
    id: string,
    offset: number,
  ): Promise<number> {
    const end = await super.write(readable, id, offset);
    // The store closed its stream already; fdatasync through any descriptor flushes the file.
    const handle = await open(join(this.dir, id), 'r');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return end;
  }
}

const [directory, mode] = process.argv.slice(2);
if (!directory || (mode !== undefined && mode !== 'fdatasync')) {
  throw new Error('usage: tus-server.ts <directory> [fdatasync]');
}
const datastore = mode ? new SyncedFileStore(directory) : new FileStore({ directory });
const tus = new Server({ path: '/files', datastore });
const server = createServer((req, res) => void tus.handle(req, res));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
