/**
 * Why a store's backend cannot serve right now, told apart from faults in the request or the
 * code: `unreachable` (no connection, no answer in time, a server-side error of the backend),
 * `full` (no space left), `failed` (the disk or filesystem under the store reports an error).
 * Callers answer these 503, which clients retry; anything else stays an internal error, so a bug
 * is not dressed up as an outage.
 */
export type StoreFailure = 'unreachable' | 'full' | 'failed';

// Node's socket errors, and undici's, for a connection refused, dropped or never made.
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);
// The filesystem itself failing: an I/O error, a read-only remount after one, a stale NFS handle,
// too many open files on the host.
const FAILED_CODES = new Set(['EIO', 'EROFS', 'ESTALE', 'EMFILE', 'ENFILE']);

// nats.js's errors for a connection that is gone or a request nobody answered in time.
const NATS_UNREACHABLE = new Set([
  'TimeoutError',
  'NoResponders',
  'ClosedConnectionError',
  'DrainingConnectionError',
  'ConnectionError',
  'JetStreamNotEnabled',
]);
// The AWS SDK's names for a server that is overloaded, failing or slow.
const S3_UNREACHABLE = new Set([
  'TimeoutError',
  'RequestTimeout',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
]);

export function storeFailureOf(err: unknown): StoreFailure | undefined {
  // Adapters and streams wrap what failed underneath: look a few causes deep.
  for (let at: unknown = err, depth = 0; at instanceof Error && depth < 6; depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (FULL_CODES.has(code)) return 'full';
      if (FAILED_CODES.has(code)) return 'failed';
      if (UNREACHABLE_CODES.has(code)) return 'unreachable';
    }
    if (NATS_UNREACHABLE.has(at.name) || S3_UNREACHABLE.has(at.name)) return 'unreachable';
    // JetStream answering that it has no leader or is not ready yet (503), or an S3 server's 5xx.
    const status =
      at.name === 'JetStreamApiError'
        ? (at as { status?: unknown }).status
        : (at as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
    if (typeof status === 'number' && status >= 500) return 'unreachable';
    if (at instanceof AggregateError) {
      const inner = at.errors.map(storeFailureOf).find((f) => f !== undefined);
      if (inner) return inner;
    }
    at = at.cause;
  }
  return undefined;
}
