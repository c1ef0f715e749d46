/**
 * Whether an error means the database cannot be reached right now (refused or dropped
 * connections, a server shutting down or starting up), as opposed to a fault in the request or
 * the code. Such a command is answered 503, which clients may retry, not 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  // drizzle wraps the driver's error; the driver may wrap the socket's.
  for (let at: unknown = err, depth = 0; at instanceof Error && depth < 5; depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && unavailableCode(code)) return true;
    at = at.cause;
  }
  return false;
}

// postgres.js's own codes for a connection it lost or could not make.
const DRIVER_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

function unavailableCode(code: string): boolean {
  return (
    DRIVER_CODES.has(code) ||
    SOCKET_CODES.has(code) ||
    // SQLSTATE class 08: connection exception.
    code.startsWith('08') ||
    // admin_shutdown, crash_shutdown, cannot_connect_now; too_many_connections.
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '53300'
  );
}
