import { ErrorKinds, errorKindOf, type ErrorKind } from '@media-vault/contracts';

/**
 * The two response styles of the platform: seed 000 routes answer `{data, message}`, seed 002
 * (audio assets) routes answer grpc-gateway errors. The style follows from the path.
 */
export type ApiStyle = 'envelope' | 'grpc';

export const apiStyleOf = (url: string): ApiStyle =>
  url.startsWith('/api/v1/assets') ? 'grpc' : 'envelope';

export const errorBody = (style: ApiStyle, kind: ErrorKind, message: string): unknown =>
  style === 'grpc'
    ? { code: ErrorKinds[kind].grpc, message, details: [] }
    : { data: null, message };

export const kindOfHttpStatus = (status: number): ErrorKind => {
  if (status === 409) return 'conflict';
  const kind = errorKindOf(status);
  return kind === 'internal' && status >= 400 && status < 500 ? 'badRequest' : kind;
};
