import { digestPlaintext, type PlaintextDigest } from '@media-vault/sealed';
import { createReadStream, type ReadStream } from 'node:fs';

const MIN_READ = 4 * 1024 * 1024;

/**
 * Reads of whole segments (at least 4 MiB): the seal stream then takes every segment straight
 * from the read buffer instead of assembling it from 64 KiB pieces, and each piece costs one trip
 * through the stream machinery instead of 64. That is what keeps sealing with a first pass over
 * the file as fast as sealing without one was.
 */
export const masterReadSize = (segmentSize: number): number =>
  segmentSize * Math.max(1, Math.ceil(MIN_READ / segmentSize));

export const readMaster = (path: string, segmentSize: number): ReadStream =>
  createReadStream(path, { highWaterMark: masterReadSize(segmentSize) });

async function* counted(
  source: AsyncIterable<Buffer>,
  onBytes: (total: number) => void,
): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    onBytes(total);
    yield chunk;
  }
}

/**
 * The first pass of a seal: the file's sha256 and its running digest at every segment boundary,
 * which the content key derives from and the seal pass is checked against. Fails with
 * `truncated` or `trailing-data` when the file is not `plaintextSize` bytes long any more.
 */
export function digestMaster(
  path: string,
  layout: { readonly plaintextSize: number; readonly segmentSize: number },
  onBytes: (total: number) => void = () => {},
): Promise<PlaintextDigest> {
  return digestPlaintext(counted(readMaster(path, layout.segmentSize), onBytes), layout);
}
