import { randomBytes } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { request as requestTls } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UNIXFS_IMPORT } from './ipfs-port.js';

/** The import settings every add uses, as Kubo's RPC spells them (see UNIXFS_IMPORT). */
const ADD_QUERY = new URLSearchParams({
  'cid-version': String(UNIXFS_IMPORT.cidVersion),
  'raw-leaves': String(UNIXFS_IMPORT.rawLeaves),
  chunker: `size-${UNIXFS_IMPORT.chunkSize}`,
  'max-file-links': String(UNIXFS_IMPORT.maxChildrenPerNode),
  trickle: 'false',
  'wrap-with-directory': 'false',
  pin: 'false',
  progress: 'false',
});

async function* multipart(
  boundary: string,
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  yield Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="file"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  yield* source;
  yield Buffer.from(`\r\n--${boundary}--\r\n`);
}

/** Kubo answers errors as `{"Message": …}`; anything else is shown as it came. */
function kuboMessage(text: string): string {
  try {
    return ((JSON.parse(text) as { Message?: string }).Message ?? text).trim();
  } catch {
    return text.trim();
  }
}

/**
 * `POST /api/v0/add` with the file streamed as it is produced. The RPC client sends through
 * `fetch`, which (nodejs/undici#4058) keeps a copy of every byte of a streamed request body until
 * the request ends: a master of tens of GB would need that much memory. Node's own HTTP client
 * sends with back-pressure and holds nothing.
 */
export async function streamingAdd(
  apiUrl: string,
  source: AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<string> {
  signal?.throwIfAborted();
  const boundary = `media-vault-${randomBytes(12).toString('hex')}`;
  const url = new URL(`/api/v0/add?${ADD_QUERY}`, apiUrl);
  const send = url.protocol === 'https:' ? requestTls : request;
  const req = send(url, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    ...(signal ? { signal } : {}),
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  // A failed request also fails the pipeline below, which reports it; this copy must not be left
  // unhandled.
  response.catch(() => undefined);
  await pipeline(Readable.from(multipart(boundary, source)), req);
  const res = await response;
  let text = '';
  for await (const chunk of res) text += (chunk as Buffer).toString('utf8');
  if (res.statusCode !== 200) {
    throw new Error(`Kubo add failed (${res.statusCode}): ${kuboMessage(text)}`);
  }
  // One JSON object per line; the last names the file added.
  const lines = text.trim().split('\n').filter(Boolean);
  const last = JSON.parse(lines.at(-1) ?? '{}') as { Hash?: string };
  if (!last.Hash) throw new Error(`Kubo add answered without a hash: ${text.slice(0, 200)}`);
  return last.Hash;
}
