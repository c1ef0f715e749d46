import {
  ErrorKinds,
  errorKindOf,
  HttpBindings,
  responseStyleOfPath,
  type ErrorKind,
  type ResponseStyle,
} from '@media-vault/contracts';
import type { FastifyRequest } from 'fastify';

/**
 * The style a request is answered in: its route's, declared with the route; for a path no route
 * answers, that of the declared routes nearest to it.
 */
export const styleOf = (request: FastifyRequest): ResponseStyle =>
  request.routeOptions.config.style ?? responseStyleOfPath(HttpBindings, request.url);

export const errorBody = (style: ResponseStyle, kind: ErrorKind, message: string): unknown =>
  style === 'grpc'
    ? { code: ErrorKinds[kind].grpc, message, details: [] }
    : { data: null, message };

export const kindOfHttpStatus = (status: number): ErrorKind => {
  if (status === 409) return 'conflict';
  const kind = errorKindOf(status);
  return kind === 'internal' && status >= 400 && status < 500 ? 'badRequest' : kind;
};
