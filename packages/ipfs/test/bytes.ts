/** A seeded xorshift32 byte source, so every failing case can be reproduced byte for byte. */
export class PseudoRandom {
  private state: number;
  private word = 0;
  private left = 0;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  fill(buf: Uint8Array): Uint8Array {
    for (let i = 0; i < buf.length; i++) {
      if (this.left === 0) {
        let x = this.state;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        this.state = x >>> 0;
        this.word = this.state;
        this.left = 4;
      }
      buf[i] = this.word & 0xff;
      this.word >>>= 8;
      this.left--;
    }
    return buf;
  }
}

export const pseudoRandomBytes = (size: number, seed: number): Uint8Array =>
  new PseudoRandom(seed).fill(new Uint8Array(size));

/** Feeds existing bytes as a stream cut into `pieceSize` pieces. */
export async function* piecesOf(bytes: Uint8Array, pieceSize: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += pieceSize) {
    yield bytes.subarray(offset, Math.min(offset + pieceSize, bytes.length));
  }
}

/**
 * Produces `size` pseudo-random bytes lazily, a fresh buffer per piece, so nothing but the
 * consumer can keep the whole input alive.
 */
export async function* generatedBytes(
  size: number,
  seed: number,
  pieceSize = 65_536,
  onPiece?: (piece: Uint8Array, index: number) => void,
): AsyncGenerator<Uint8Array> {
  const random = new PseudoRandom(seed);
  let index = 0;
  for (let produced = 0; produced < size; produced += pieceSize) {
    const piece = random.fill(new Uint8Array(Math.min(pieceSize, size - produced)));
    onPiece?.(piece, index++);
    yield piece;
  }
}

export async function* noBytes(): AsyncGenerator<Uint8Array> {}

export async function collect(
  source: AsyncIterable<Uint8Array>,
): Promise<{ bytes: Uint8Array; pieces: number }> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return { bytes: Buffer.concat(parts), pieces: parts.length };
}

/** Byte equality without handing vitest megabytes to diff when it fails. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}
