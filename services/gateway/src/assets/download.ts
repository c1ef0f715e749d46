import type { CommandResponse, AudioAssetCommandSubjects as S } from '@media-vault/contracts';
import type { IpfsPort } from '@media-vault/ipfs';
import { create as contentDisposition } from 'content-disposition';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { parseRange } from './byte-range.js';

type Target = CommandResponse<typeof S.assetDownload>;

/**
 * If-None-Match holds a list of tags or `*`; its comparison is weak (RFC 9110 §13.1.2), so
 * `W/"x"` matches `"x"`.
 */
export const matchesEtag = (header: string | undefined, etag: string): boolean =>
  header !== undefined &&
  header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });

/**
 * Streams an asset file from IPFS with the headers a player or download manager needs. The CID
 * names the exact bytes, so it is a strong ETag; Range requests read only the asked-for bytes.
 */
export function sendAssetFile(
  request: FastifyRequest,
  reply: FastifyReply,
  ipfs: IpfsPort,
  target: Target,
): FastifyReply {
  const etag = `"${target.cid}"`;
  reply
    .header('content-type', target.contentType)
    .header('accept-ranges', 'bytes')
    .header('etag', etag)
    .header('cache-control', 'private, max-age=0, must-revalidate')
    .header('content-disposition', contentDisposition(target.fileName));
  if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();

  // An If-Range that names another version means the client's partial copy is stale: send all.
  const ifRange = request.headers['if-range'];
  const rangeHeader = ifRange && ifRange !== etag ? undefined : request.headers.range;
  const range = parseRange(rangeHeader, target.size);
  if (range.kind === 'unsatisfiable') {
    return reply.code(416).header('content-range', `bytes */${target.size}`).send();
  }
  const { start, end } =
    range.kind === 'range' ? range.range : { start: 0, end: Math.max(0, target.size - 1) };
  const length = target.size === 0 ? 0 : end - start + 1;
  if (range.kind === 'range') {
    reply.code(206).header('content-range', `bytes ${start}-${end}/${target.size}`);
  }
  reply.header('content-length', String(length));
  if (request.method === 'HEAD' || length === 0) return reply.send();
  const abort = new AbortController();
  request.raw.once('close', () => abort.abort());
  return reply.send(
    Readable.from(ipfs.cat(target.cid, { offset: start, length, signal: abort.signal })),
  );
}
