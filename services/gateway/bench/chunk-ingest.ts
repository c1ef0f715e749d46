/**
 * Chunk ingest on the filesystem, the same bytes through both peers in the same run:
 *   gateway: POST chunk_file → sha256 while streaming → filesystem staging → one command records it
 *   tus:     @tus/server PATCH → @tus/file-store on local disk
 *   tus + fdatasync: the same, each PATCH's file flushed before the reply, as the gateway's are
 * BENCH_SIZE_MB (default 1024) per sequential round; the rest as ingest-comparison.ts says.
 */
import { makeTempDir, startServers } from '@media-vault/test-harness';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runIngestComparison } from './ingest-comparison.js';

const servers = await startServers({ postgres: true, nats: true });
const work = await makeTempDir('bench-ingest');
const tusDir = join(work.path, 'tus');
const syncedTusDir = join(work.path, 'tus-fdatasync');
const emptied = (dir: string) => () =>
  rm(dir, { recursive: true, force: true }).then(() => mkdir(dir));
try {
  await runIngestComparison({
    title: 'chunk ingest on the filesystem',
    gatewayPath: 'gateway → filesystem staging',
    tusPath: '@tus/server + file store',
    size: Number(process.env.BENCH_SIZE_MB ?? 1024) * 1024 * 1024,
    small: 128 * 1024 * 1024,
    servers,
    workDir: work.path,
    // Every process shares one staging directory, as under npm run dev.
    staging: { OBJECT_STORE: 'fs', OBJECT_STORE_DIR: join(work.path, 'staging') },
    tus: { entry: 'services/gateway/bench/tus-server.ts', args: [tusDir] },
    clearTus: emptied(tusDir),
    durableTus: {
      path: '@tus/server + file store + fdatasync',
      entry: 'services/gateway/bench/tus-server.ts',
      args: [syncedTusDir, 'fdatasync'],
      clear: emptied(syncedTusDir),
    },
  });
} finally {
  await servers.stop();
  await work.remove();
}
