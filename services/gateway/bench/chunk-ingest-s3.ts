/**
 * Chunk ingest on S3, the same bytes through both peers in the same run, both against one
 * SeaweedFS server (started here, each peer with a bucket of its own):
 *   gateway: POST chunk_file → sha256 while streaming → S3 staging (OBJECT_STORE=s3) → one command
 *   tus:     @tus/server PATCH → @tus/s3-store, 5 MiB parts
 * BENCH_S3_SIZE_MB (default 256: an S3 server on loopback is several times slower than the disk
 * under it) per sequential round; the rest as ingest-comparison.ts says.
 */
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { makeTempDir, startS3, startServers } from '@media-vault/test-harness';
import { runIngestComparison } from './ingest-comparison.js';

const servers = await startServers({ postgres: true, nats: true });
const s3 = await startS3({ label: 'bench seaweedfs' });
const work = await makeTempDir('bench-ingest-s3');
const admin = new S3Client({
  endpoint: s3.endpoint,
  region: s3.region,
  credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
});

try {
  const gatewayBucket = 'bench-gateway';
  const tusBucket = 'bench-tus';
  for (const Bucket of [gatewayBucket, tusBucket]) {
    await admin.send(new CreateBucketCommand({ Bucket }));
  }
  await runIngestComparison({
    title: 'chunk ingest on S3 (SeaweedFS on loopback, one server, a bucket per peer)',
    gatewayPath: 'gateway → S3 staging',
    tusPath: '@tus/server + s3 store',
    size: Number(process.env.BENCH_S3_SIZE_MB ?? 256) * 1024 * 1024,
    small: 64 * 1024 * 1024,
    servers,
    workDir: work.path,
    // Every process reads and writes the same bucket, as a cluster would.
    staging: {
      OBJECT_STORE: 's3',
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_BUCKET: gatewayBucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    },
    tus: {
      entry: 'services/gateway/bench/tus-s3-server.ts',
      env: {
        TUS_S3_BUCKET: tusBucket,
        TUS_S3_ENDPOINT: s3.endpoint,
        TUS_S3_REGION: s3.region,
        TUS_S3_ACCESS_KEY_ID: s3.accessKeyId,
        TUS_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      },
    },
    // tus's objects removed from its bucket, page by page.
    clearTus: async () => {
      for (;;) {
        const page = await admin.send(new ListObjectsV2Command({ Bucket: tusBucket }));
        const keys = (page.Contents ?? []).map((c) => ({ Key: c.Key! }));
        if (keys.length === 0) return;
        await admin.send(
          new DeleteObjectsCommand({ Bucket: tusBucket, Delete: { Objects: keys } }),
        );
      }
    },
  });
} finally {
  admin.destroy();
  await s3.stop();
  await servers.stop();
  await work.remove();
}
