import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { checkedSource, checkKey, checkPrefix, type Measured } from './object-checks.js';
import {
  BucketUnavailableError,
  ObjectExistsError,
  ObjectNotFoundError,
  type GetOptions,
  type ObjectStorePort,
  type PutOptions,
  type StoredObject,
} from './object-store-port.js';

export interface S3ObjectStoreOptions {
  /** The S3 API's base URL (SeaweedFS, MinIO, Ceph, R2, ...); AWS's own endpoint when absent. */
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  /** Static keys; when absent the SDK's default chain (environment, profile, instance role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** `http://host/bucket/key` instead of `http://bucket.host/key`: what most servers but AWS need. */
  readonly forcePathStyle?: boolean;
  /** Create the bucket when it is missing (development and tests); default: refuse to open. */
  readonly createBucket?: boolean;
  /**
   * Bytes per multipart part (default 8 MiB, at least S3's 5 MiB minimum). Objects up to this size
   * are sent in one PutObject; memory held by one put is about `partSize × (queueSize + 1)`.
   */
  readonly partSize?: number;
  /** Parts in flight at once during a multipart upload (default 4). */
  readonly queueSize?: number;
}

const MiB = 1024 * 1024;
const MIN_PART = 5 * MiB;
/** Server-side copies move at most this much per UploadPartCopy (S3 allows 5 GiB). */
const COPY_PART = 1024 * MiB;
/**
 * Uploads of objects whose digest is only known at the end land here first (see `put`). `~` is
 * not allowed in keys, so nothing under it can be a caller's object.
 */
const STAGING = '~staging/';

// User metadata (x-amz-meta-*): HeadObject returns it; S3's own LastModified has whole seconds
// only, too coarse for expiry that callers drive with millisecond clocks.
const META_SHA256 = 'sha256';
const META_MODIFIED = 'modified';

const statusOf = (err: unknown): number | undefined =>
  err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
const nameOf = (err: unknown): string | undefined =>
  err instanceof S3ServiceException ? err.name : undefined;

/**
 * Objects in one S3 bucket, for production and clusters. Every promise of the port holds:
 *
 * - **Write-once** rests on S3 conditional writes: the request that makes an object visible
 *   (PutObject, CompleteMultipartUpload, CopyObject) carries `If-None-Match: *`, so of two racing
 *   puts the server lets exactly one through and answers the other 412. A HEAD before a multipart
 *   upload only spares sending its parts when the key is already taken; a one-part put asks
 *   nothing first, since its bytes are in memory by then and the header alone decides. The server
 *   must honour the header (AWS S3 since 2024, SeaweedFS, MinIO, R2); the conformance suite's race
 *   test checks it.
 * - **All or nothing**: an object up to `partSize` is buffered, checked, then sent in one
 *   PutObject; a larger one goes up as a multipart upload, which S3 never shows before
 *   CompleteMultipartUpload: the size and digest are checked while the parts stream, and any
 *   failure aborts the upload instead of completing it.
 * - The digest is stored as user metadata, which must be set when the upload starts. When the
 *   caller declares `sha256`, that is the value (a mismatch aborts, so it is never wrong); when
 *   it does not and the object needs several parts, it is uploaded under `~staging/` and copied
 *   server-side onto its key with the measured digest, then the staging copy is deleted.
 * - Uploads a crash left open are aborted by `expire` (and should also be by a bucket lifecycle
 *   rule, AbortIncompleteMultipartUpload, in production).
 */
export async function openS3ObjectStore(options: S3ObjectStoreOptions): Promise<ObjectStorePort> {
  const { bucket } = options;
  const partSize = Math.max(options.partSize ?? 8 * MiB, MIN_PART);
  const queueSize = Math.max(options.queueSize ?? 4, 1);
  const s3 = new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    // The SDK's default adds CRC32 trailers to every upload, which several S3 servers refuse;
    // integrity here is the SHA-256 the adapter computes itself.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  /** Bucket-level failures become BucketUnavailableError; anything else passes unchanged. */
  const bucketError = (err: unknown): unknown => {
    const name = nameOf(err);
    if (name === 'NoSuchBucket')
      return new BucketUnavailableError(bucket, 'missing', { cause: err });
    if (
      name === 'AccessDenied' ||
      name === 'InvalidAccessKeyId' ||
      name === 'SignatureDoesNotMatch' ||
      statusOf(err) === 403
    ) {
      return new BucketUnavailableError(bucket, 'forbidden', { cause: err });
    }
    return err;
  };
  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw bucketError(err);
    }
  };

  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    // HeadBucket has no body, so a missing bucket is only its 404.
    const missing = statusOf(err) === 404 || nameOf(err) === 'NotFound';
    if (missing && options.createBucket) {
      await call(() => s3.send(new CreateBucketCommand({ Bucket: bucket })));
    } else {
      s3.destroy();
      throw missing
        ? new BucketUnavailableError(bucket, 'missing', { cause: err })
        : bucketError(err);
    }
  }

  const head = async (key: string): Promise<StoredObject | null> => {
    try {
      const found = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const modified = found.Metadata?.[META_MODIFIED];
      return {
        key,
        size: found.ContentLength ?? 0,
        sha256: found.Metadata?.[META_SHA256] ?? '',
        modified: modified ? new Date(modified) : (found.LastModified ?? new Date(0)),
      };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw bucketError(err);
    }
  };

  /** The conditional write lost: someone else's object holds the key now. */
  const isTaken = (err: unknown) => statusOf(err) === 412 || nameOf(err) === 'PreconditionFailed';

  const metadata = (sha256: string, modified = new Date()) => ({
    [META_SHA256]: sha256,
    [META_MODIFIED]: modified.toISOString(),
  });

  /**
   * A multipart upload to `key`, parts from `parts` (each `partSize` but the last), `queueSize`
   * of them in flight. Completes only when `parts` ended without throwing, and then only if the
   * key is still free; on any failure the upload is aborted, so its parts are dropped.
   */
  const multipart = async (
    key: string,
    meta: Record<string, string>,
    parts: AsyncIterable<Uint8Array>,
    signal?: AbortSignal,
  ): Promise<void> => {
    const created = await call(() =>
      s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, Metadata: meta })),
    );
    const uploadId = created.UploadId!;
    const done: CompletedPart[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    try {
      let number = 0;
      for await (const body of parts) {
        if (failure) break;
        const partNumber = ++number;
        const sending: Promise<void> = s3
          .send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: partNumber,
              Body: body,
              ContentLength: body.byteLength,
            }),
            { abortSignal: signal },
          )
          .then(
            (sent) => {
              done.push({ PartNumber: partNumber, ETag: sent.ETag! });
            },
            (error: unknown) => {
              failure ??= { error };
            },
          )
          .finally(() => inFlight.delete(sending));
        inFlight.add(sending);
        // Backpressure: the source is read no faster than the parts go out.
        while (inFlight.size >= queueSize) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      if (failure) throw failure.error;
      signal?.throwIfAborted();
      done.sort((a, b) => a.PartNumber! - b.PartNumber!);
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: done },
          IfNoneMatch: '*',
        }),
      );
    } catch (err) {
      await Promise.allSettled(inFlight);
      await s3
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined);
      if (isTaken(err)) throw new ObjectExistsError(key);
      throw bucketError(err);
    }
  };

  /** Server-side copy of a staged object onto `key`, visible only if the key is still free. */
  const copyOnto = async (
    from: string,
    key: string,
    size: number,
    sha256: string,
    modified: Date,
  ) => {
    const created = await call(() =>
      s3.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          Metadata: metadata(sha256, modified),
        }),
      ),
    );
    const uploadId = created.UploadId!;
    try {
      const parts: CompletedPart[] = [];
      // Only objects of more than one part are staged, so `size` is never 0 here.
      for (let start = 0, partNumber = 1; start < size; start += COPY_PART, partNumber++) {
        const end = Math.min(size, start + COPY_PART) - 1;
        const copied = await s3.send(
          new UploadPartCopyCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            CopySource: `${bucket}/${from}`,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts.push({ PartNumber: partNumber, ETag: copied.CopyPartResult!.ETag! });
      }
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
          IfNoneMatch: '*',
        }),
      );
    } catch (err) {
      await s3
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined);
      if (isTaken(err)) throw new ObjectExistsError(key);
      throw bucketError(err);
    }
  };

  async function* listRaw(prefix: string): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      const page = await call(() =>
        s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        ),
      );
      for (const item of page.Contents ?? []) if (item.Key) yield item.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async function* list(prefix = ''): AsyncGenerator<StoredObject> {
    checkPrefix(prefix);
    for await (const key of listRaw(prefix)) {
      if (key.startsWith('~')) continue;
      // Listings carry neither user metadata nor a SHA-256, so each object is asked for them.
      const object = await head(key);
      if (object) yield object;
    }
  }

  /** True when the key named an object a moment ago; S3's DeleteObject does not say. */
  const remove = async (key: string): Promise<boolean> => {
    if (!(await head(key))) return false;
    await call(() => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    return true;
  };

  return {
    async put(key: string, source: AsyncIterable<Uint8Array>, opts: PutOptions = {}) {
      checkKey(key);
      const measured: Partial<Measured> = {};
      const parts = partsOf(checkedSource(key, source, opts, measured), partSize);
      const first = await parts.next();
      const second = first.done ? first : await parts.next();
      // What the object's metadata will say, and so what `stat` answers: the put's result is
      // known without asking the server again (a round trip per chunk of an upload).
      const modified = new Date();
      if (second.done) {
        // One part at most: it is in memory and checked, so a single PutObject is all or nothing.
        const body = first.done ? new Uint8Array(0) : first.value;
        try {
          await s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: body,
              ContentLength: body.byteLength,
              Metadata: metadata(measured.sha256!, modified),
              IfNoneMatch: '*',
            }),
            { abortSignal: opts.signal },
          );
        } catch (err) {
          if (isTaken(err)) throw new ObjectExistsError(key);
          throw bucketError(err);
        }
      } else {
        if (await head(key)) throw new ObjectExistsError(key);
        async function* all(): AsyncGenerator<Uint8Array> {
          yield first.value as Uint8Array;
          yield second.value as Uint8Array;
          yield* parts;
        }
        if (opts.sha256 !== undefined) {
          await multipart(key, metadata(opts.sha256.toLowerCase(), modified), all(), opts.signal);
        } else {
          const staged = `${STAGING}${randomUUID()}`;
          await multipart(staged, {}, all(), opts.signal);
          try {
            await copyOnto(staged, key, measured.size!, measured.sha256!, modified);
          } finally {
            await s3
              .send(new DeleteObjectCommand({ Bucket: bucket, Key: staged }))
              .catch(() => undefined);
          }
        }
      }
      return { key, size: measured.size!, sha256: measured.sha256!, modified };
    },

    async *get(key: string, opts: GetOptions = {}) {
      checkKey(key);
      const start = opts.offset ?? 0;
      if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`bad offset ${start}`);
      const length = opts.length;
      if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
        throw new RangeError(`bad length ${length}`);
      }
      if (length === 0) {
        if (!(await head(key))) throw new ObjectNotFoundError(key);
        return;
      }
      const range =
        start === 0 && length === undefined
          ? undefined
          : `bytes=${start}-${length === undefined ? '' : start + length - 1}`;
      let body: AsyncIterable<Uint8Array>;
      try {
        const found = await s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }),
          { abortSignal: opts.signal },
        );
        body = found.Body as AsyncIterable<Uint8Array>;
      } catch (err) {
        if (nameOf(err) === 'NoSuchKey' || statusOf(err) === 404) {
          if (nameOf(err) === 'NoSuchBucket') throw bucketError(err);
          throw new ObjectNotFoundError(key);
        }
        // 416: the object exists and the range starts at or past its end, so it holds nothing.
        if (statusOf(err) === 416 || nameOf(err) === 'InvalidRange') return;
        throw bucketError(err);
      }
      yield* body;
    },

    stat: async (key: string) => head(checkKey(key)),

    delete: async (key: string) => remove(checkKey(key)),

    list,

    async expire(before: Date, prefix = '') {
      checkPrefix(prefix);
      let deleted = 0;
      for await (const object of list(prefix)) {
        if (object.modified < before && (await remove(object.key))) deleted++;
      }
      // What a crashed put left behind: open uploads, and staged copies when the whole store
      // is swept. Neither was ever an object, so neither is counted.
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        const page = await call(() =>
          s3.send(
            new ListMultipartUploadsCommand({
              Bucket: bucket,
              Prefix: prefix,
              KeyMarker: keyMarker,
              UploadIdMarker: uploadIdMarker,
            }),
          ),
        );
        for (const upload of page.Uploads ?? []) {
          if (upload.Initiated && upload.Initiated < before) {
            await s3
              .send(
                new AbortMultipartUploadCommand({
                  Bucket: bucket,
                  Key: upload.Key,
                  UploadId: upload.UploadId,
                }),
              )
              .catch(() => undefined);
          }
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (keyMarker);
      if (prefix === '') {
        for await (const staged of listRaw(STAGING)) {
          const object = await head(staged);
          if (object && object.modified < before) {
            await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: staged }));
          }
        }
      }
      return deleted;
    },

    close: async () => {
      s3.destroy();
    },
  };
}

/**
 * Regroups a stream into parts of exactly `size` bytes (the last one shorter, never empty),
 * copying into one buffer per part so S3 gets whole parts whatever the source's piece sizes.
 */
async function* partsOf(
  source: AsyncIterable<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  let part = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const piece of source) {
    let at = 0;
    while (at < piece.byteLength) {
      const n = Math.min(size - filled, piece.byteLength - at);
      part.set(piece.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled === size) {
        yield part;
        part = Buffer.allocUnsafe(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield part.subarray(0, filled);
}
