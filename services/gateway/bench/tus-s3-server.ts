/**
 * The S3 peer in the chunk-ingest benchmark: a plain @tus/server with @tus/s3-store, in its own
 * process so its memory is measured alone. The bucket, endpoint and keys come from the
 * environment (TUS_S3_*); the bucket must exist.
 */
import { S3Store } from '@tus/s3-store';
import { Server } from '@tus/server';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`tus-s3-server.ts needs ${name}`);
  return value;
};

const datastore = new S3Store({
  // The gateway's chunks are 5 MiB, each one S3 object: tus gets the same part size, so both
  // peers send S3 the same number of requests carrying the same bytes.
  partSize: 5 * 1024 * 1024,
  s3ClientConfig: {
    bucket: env('TUS_S3_BUCKET'),
    endpoint: env('TUS_S3_ENDPOINT'),
    region: env('TUS_S3_REGION'),
    credentials: {
      accessKeyId: env('TUS_S3_ACCESS_KEY_ID'),
      secretAccessKey: env('TUS_S3_SECRET_ACCESS_KEY'),
    },
    forcePathStyle: true,
    // As the gateway's S3 adapter: no CRC32 trailer on uploads, which neither side needs here.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  },
});
const tus = new Server({ path: '/files', datastore });
const server = createServer((req, res) => void tus.handle(req, res));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
