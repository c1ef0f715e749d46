import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const PIECE = 4 * 1024 * 1024;

/**
 * Writes `size` bytes of an AES-256-CTR keystream keyed by `seed`: the same bytes on every run,
 * as incompressible as random data, and with no repeated 256 KiB block anywhere, so IPFS dedup
 * cannot flatter the plain add (or the seal) the way repeated random blocks would.
 * Returns the file's sha256 (hex), computed while writing.
 */
export async function writeMasterFile(path: string, size: number, seed: string): Promise<string> {
  const key = createHash('sha256').update(`media-vault bench master ${seed}`).digest();
  const keystream = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(PIECE);
  const hash = createHash('sha256');
  async function* pieces() {
    for (let written = 0; written < size; written += PIECE) {
      const piece = keystream.update(zeros.subarray(0, Math.min(PIECE, size - written)));
      hash.update(piece);
      yield piece;
    }
  }
  await pipeline(Readable.from(pieces()), createWriteStream(path));
  return hash.digest('hex');
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
