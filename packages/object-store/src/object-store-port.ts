/** What a store knows of one object once it is complete. */
export interface StoredObject {
  readonly key: string;
  /** Bytes of content. */
  readonly size: number;
  /** SHA-256 of the content, lowercase hex. */
  readonly sha256: string;
  readonly modified: Date;
}

export interface PutOptions {
  /** The exact size the source must have; a shorter or longer source stores nothing. */
  readonly size?: number;
  /** The SHA-256 (hex, any case) the content must have; a mismatch stores nothing. */
  readonly sha256?: string;
  /** Refuse the source as soon as it passes this many bytes, without reading the rest. */
  readonly maxSize?: number;
  readonly signal?: AbortSignal;
}

export interface GetOptions {
  /** First byte to return. */
  readonly offset?: number;
  /** Bytes to return from `offset`; to the end when absent. */
  readonly length?: number;
  readonly signal?: AbortSignal;
}

/**
 * Where bytes wait between the steps of a pipeline (chunks until their merge, merged files until
 * IPFS has them). Every adapter keeps the same promises, checked by one conformance suite:
 *
 * - **Write-once keys.** `put` of a key that exists fails with ObjectExistsError and leaves the
 *   stored object as it was; a caller that retries uses a fresh key. This is what lets a failed
 *   or refused put be cleaned up without ever touching good data.
 * - **All or nothing.** An object is visible (to `get`, `stat`, `list`) only once complete and
 *   checked: a source that fails, is aborted, is longer than `maxSize`, or does not match `size`
 *   or `sha256` leaves no trace.
 * - **Streams.** Neither `put` nor `get` holds more than a bounded buffer, whatever the size.
 * - Keys are `/`-separated segments of `[A-Za-z0-9._-]`, neither `.` nor `..`.
 */
export interface ObjectStorePort {
  put(key: string, source: AsyncIterable<Uint8Array>, options?: PutOptions): Promise<StoredObject>;
  /** Fails with ObjectNotFoundError (before yielding anything) when the key does not exist. */
  get(key: string, options?: GetOptions): AsyncIterable<Uint8Array>;
  stat(key: string): Promise<StoredObject | null>;
  /** True when something was deleted; deleting a missing key is not an error. */
  delete(key: string): Promise<boolean>;
  /** Every complete object whose key starts with `prefix`, in no particular order. */
  list(prefix?: string): AsyncIterable<StoredObject>;
  /** Deletes the objects under `prefix` last modified before `before`; returns how many. */
  expire(before: Date, prefix?: string): Promise<number>;
  close(): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(readonly key: string) {
    super(`no object ${JSON.stringify(key)}`);
  }
}

export class ObjectExistsError extends Error {
  override readonly name = 'ObjectExistsError';
  constructor(readonly key: string) {
    super(`object ${JSON.stringify(key)} exists already; keys are written once`);
  }
}

/** The content did not match what the caller declared; nothing was stored. */
export class ObjectContentError extends Error {
  override readonly name = 'ObjectContentError';
  constructor(
    readonly key: string,
    readonly reason: 'size' | 'sha256' | 'tooLarge',
    message: string,
    /** What was measured: the bytes read (so far, for `tooLarge`), and the digest once known. */
    readonly measured: { readonly size: number; readonly sha256?: string },
  ) {
    super(message);
  }
}

/** A bucket that is not there, or that this process may not use; retrying will not help. */
export class BucketUnavailableError extends Error {
  override readonly name = 'BucketUnavailableError';
  constructor(
    readonly bucket: string,
    readonly reason: 'missing' | 'forbidden',
    options?: { cause?: unknown },
  ) {
    super(
      reason === 'missing'
        ? `bucket ${bucket} does not exist`
        : `bucket ${bucket} is not readable by this worker`,
      options,
    );
  }
}

export class InvalidObjectKeyError extends Error {
  override readonly name = 'InvalidObjectKeyError';
  constructor(readonly key: string) {
    super(
      `${JSON.stringify(key)} is not an object key: use /-separated segments of A-Z a-z 0-9 . _ -`,
    );
  }
}
