import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { S3Access } from './s3.js';

/** Where a test stack's processes stage chunks and merged files (OBJECT_STORE). */
export type StagingKind = 'fs' | 'nats' | 's3';

/** The kinds the chunk, merge and download tests run on, each of them. */
export const STAGING_KINDS = ['fs', 's3'] as const satisfies readonly StagingKind[];

/** The staging variables every process of one test stack shares (a service's StagingConfig). */
export interface StagingEnv {
  readonly OBJECT_STORE: StagingKind;
  readonly OBJECT_STORE_DIR: string;
  readonly S3_REGION: string;
  readonly S3_ENDPOINT?: string;
  readonly S3_BUCKET?: string;
  readonly S3_ACCESS_KEY_ID?: string;
  readonly S3_SECRET_ACCESS_KEY?: string;
}

/**
 * The kind a stack uses when its test does not choose one: OBJECT_STORE from the test's
 * environment (so a whole package can be run on NATS or S3), else the default, fs.
 */
export function stagingKindFromEnv(): StagingKind {
  const kind = process.env.OBJECT_STORE;
  if (kind === undefined || kind === '') return 'fs';
  if (kind === 'fs' || kind === 'nats' || kind === 's3') return kind;
  throw new Error(`OBJECT_STORE=${kind}: the test stacks know fs, nats and s3`);
}

/**
 * Staging settings for one test stack: a directory under `dir` for fs, the stack's own
 * nats-server for nats (nothing to make here), and for s3 a fresh bucket on the run's S3 server
 * (`inject('servers').s3`), so stacks of different test files never see each other's objects.
 */
export async function stagingEnvFor(
  kind: StagingKind,
  dir: string,
  s3?: S3Access,
): Promise<StagingEnv> {
  const base = {
    OBJECT_STORE: kind,
    OBJECT_STORE_DIR: join(dir, 'staging'),
    S3_REGION: 'us-east-1',
  };
  if (kind !== 's3') return base;
  if (!s3) throw new Error('OBJECT_STORE=s3 needs the global set-up to start S3 (s3: true)');
  const bucket = `stack-${randomBytes(8).toString('hex')}`;
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    forcePathStyle: true,
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return {
    ...base,
    S3_REGION: s3.region,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  };
}
