/**
 * One table of error kinds. Services reply with the numeric `code` in the NATS service error
 * header; only the gateway turns it into HTTP, in either response style.
 */
export const ErrorKinds = {
  badRequest: { code: 400, http: 400, grpc: 3, name: 'INVALID_ARGUMENT' },
  unauthenticated: { code: 401, http: 401, grpc: 16, name: 'UNAUTHENTICATED' },
  forbidden: { code: 403, http: 403, grpc: 7, name: 'PERMISSION_DENIED' },
  notFound: { code: 404, http: 404, grpc: 5, name: 'NOT_FOUND' },
  conflict: { code: 409, http: 409, grpc: 10, name: 'ABORTED' },
  alreadyExists: { code: 410, http: 409, grpc: 6, name: 'ALREADY_EXISTS' },
  payloadTooLarge: { code: 413, http: 413, grpc: 11, name: 'OUT_OF_RANGE' },
  internal: { code: 500, http: 500, grpc: 13, name: 'INTERNAL' },
  unavailable: { code: 503, http: 503, grpc: 14, name: 'UNAVAILABLE' },
  timeout: { code: 504, http: 504, grpc: 4, name: 'DEADLINE_EXCEEDED' },
} as const;

export type ErrorKind = keyof typeof ErrorKinds;
export type ErrorCode = (typeof ErrorKinds)[ErrorKind]['code'];

const byCode = new Map<number, ErrorKind>(
  Object.entries(ErrorKinds).map(([kind, v]) => [v.code, kind as ErrorKind]),
);

/** The kind for a service error code; unknown codes are internal errors. */
export const errorKindOf = (code: number): ErrorKind => byCode.get(code) ?? 'internal';

/** An error that crosses the bus: a kind and a message meant for the end user. */
export class VaultError extends Error {
  override readonly name = 'VaultError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get code(): ErrorCode {
    return ErrorKinds[this.kind].code;
  }
}
