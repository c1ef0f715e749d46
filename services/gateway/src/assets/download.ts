import {
  VaultError,
  type CommandResponse,
  type AudioAssetCommandSubjects as S,
} from '@media-vault/contracts';
import { IpfsNotFoundError, type IpfsReader } from '@media-vault/ipfs';
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
export async function sendAssetFile(
  request: FastifyRequest,
  reply: FastifyReply,
  ipfs: Pick<IpfsReader, 'cat'>,
  target: Target,
): Promise<FastifyReply> {
  const etag = `"${target.cid}"`;
  const fileHeaders = () =>
    reply
      .header('content-type', target.contentType)
      .header('accept-ranges', 'bytes')
      .header('etag', etag)
      .header('cache-control', 'private, max-age=0, must-revalidate')
      .header('content-disposition', contentDisposition(target.fileName));
  if (matchesEtag(request.headers['if-none-match'], etag)) return fileHeaders().code(304).send();

  // An If-Range that names another version means the client's partial copy is stale: send all.
  const ifRange = request.headers['if-range'];
  const rangeHeader = ifRange && ifRange !== etag ? undefined : request.headers.range;
  const range = parseRange(rangeHeader, target.size);
  if (range.kind === 'unsatisfiable') {
    return fileHeaders().code(416).header('content-range', `bytes */${target.size}`).send();
  }
  const { start, end } =
    range.kind === 'range' ? range.range : { start: 0, end: Math.max(0, target.size - 1) };
  const length = target.size === 0 ? 0 : end - start + 1;
  let body: AsyncIterable<Uint8Array> | undefined;
  if (request.method !== 'HEAD' && length > 0) {
    const abort = new AbortController();
    request.raw.once('close', () => abort.abort());
    // Before any header: a refusal must not go out with the file's type and length.
    body = await startedOrRefused(
      ipfs.cat(target.cid, { offset: start, length, signal: abort.signal }),
      target.cid,
    );
  }
  fileHeaders().header('content-length', String(length));
  if (range.kind === 'range') {
    reply.code(206).header('content-range', `bytes ${start}-${end}/${target.size}`);
  }
  return body ? reply.send(Readable.from(body)) : reply.send();
}

/**
 * The first piece is read before the reply starts: a file this gateway's IPFS node does not hold
 * is then a 503 that says so, not a 200 whose body breaks off.
 */
async function startedOrRefused(
  source: AsyncIterable<Uint8Array>,
  cid: string,
): Promise<AsyncIterable<Uint8Array>> {
  const pieces = source[Symbol.asyncIterator]();
  let first: IteratorResult<Uint8Array>;
  try {
    first = await pieces.next();
  } catch (err) {
    if (err instanceof IpfsNotFoundError) {
      throw new VaultError(
        'unavailable',
        `file ${cid} is not in the IPFS node downloads read from; try again later`,
        { cause: err },
      );
    }
    throw err;
  }
  return (async function* () {
    if (first.done) return;
    yield first.value;
    for (let next = await pieces.next(); !next.done; next = await pieces.next()) yield next.value;
  })();
}
