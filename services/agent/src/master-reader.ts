import type { SealStream } from '@media-vault/sealed';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

const MIN_READ = 4 * 1024 * 1024;

/** Whole segments, and at least 4 MiB. */
export const masterReadSize = (segmentSize: number): number =>
  segmentSize * Math.max(1, Math.ceil(MIN_READ / segmentSize));

const settled = (work: Promise<unknown>) =>
  work.then(
    () => undefined,
    () => undefined,
  );

/**
 * Reads a master once, for a seal: whole segments (at least 4 MiB) into two buffers taken in
 * turn, the next piece read while the current one is sealed. The seal stream then takes every
 * segment straight from a read buffer instead of assembling it from 64 KiB pieces, a piece costs
 * one trip through the stream machinery instead of 64, and nothing is allocated per read
 * (services/agent/bench). One reader serves one seal at a time.
 */
export class MasterReader {
  readonly pieceSize: number;
  private readonly buffers: readonly [Buffer, Buffer];

  constructor(segmentSize: number) {
    this.pieceSize = masterReadSize(segmentSize);
    this.buffers = [Buffer.allocUnsafeSlow(this.pieceSize), Buffer.allocUnsafeSlow(this.pieceSize)];
  }

  /**
   * The file written into `sealer` piece by piece, and the sealed segments handed
   * to `consume` (the IPFS add). A buffer is read into again only once the sealer has called back
   * for the piece it held: the seal stream keeps no input past that, and its callback waits for
   * the consumer to take the segments, which is the back-pressure. Rejects with the first
   * failure, the sealer's (such as `trailing-data`) or the consumer's, once both have stopped.
   */
  async seal(
    path: string,
    sealer: SealStream,
    consume: (ciphertext: AsyncIterable<Uint8Array>) => Promise<void>,
    onBytes: (total: number) => void = () => {},
  ): Promise<void> {
    const sealing = pipeline(sealer, consume);
    // Awaited below once feeding has stopped; a failure before then is not unhandled.
    sealing.catch(() => undefined);
    try {
      await this.feed(path, sealer, onBytes);
    } catch (err) {
      sealer.destroy(err as Error);
      // The sealer's or the consumer's own failure, when there is one, says more than ours.
      await sealing;
      throw err;
    }
    await sealing;
  }

  private async feed(path: string, sealer: SealStream, onBytes: (total: number) => void) {
    const file = await open(path, 'r');
    const next = this.pieces(file);
    const taken: [Promise<void>, Promise<void>] = [Promise.resolve(), Promise.resolve()];
    // A seal stream destroyed while a piece waits for its reader (the consumer gave up) never calls
    // that piece's write back, so each wait also ends when the stream closes.
    const closed = new Promise<never>((_resolve, reject) => {
      sealer.once('close', () =>
        reject(sealer.errored ?? new Error('the seal stream closed before the master was read')),
      );
    });
    closed.catch(() => undefined);
    const whileOpen = (work: Promise<void>) => Promise.race([work, closed]);
    let reading = next(0);
    try {
      let total = 0;
      for (let turn: 0 | 1 = 0; ; turn = turn === 0 ? 1 : 0) {
        const piece = await reading;
        if (piece.length === 0) break;
        const other = turn === 0 ? 1 : 0;
        await whileOpen(taken[other]);
        reading = next(other);
        total += piece.length;
        onBytes(total);
        taken[turn] = new Promise<void>((resolve, reject) => {
          sealer.write(piece, (err) => (err ? reject(err) : resolve()));
        });
        // Awaited before the buffer is reused or at the end; a failure meanwhile is not unhandled.
        taken[turn].catch(() => undefined);
      }
      await whileOpen(Promise.all(taken).then(() => undefined));
      await whileOpen(
        new Promise<void>((resolve, reject) => {
          sealer.end((err?: Error | null) => (err ? reject(err) : resolve()));
        }),
      );
    } finally {
      await settled(reading);
      await file.close();
    }
  }

  /** Reads `file` from its start, the next piece into the buffer named; empty at its end. */
  private pieces(file: FileHandle): (turn: 0 | 1) => Promise<Buffer> {
    let position = 0;
    return async (turn) => {
      const buffer = this.buffers[turn];
      const { bytesRead } = await file.read(buffer, 0, this.pieceSize, position);
      position += bytesRead;
      return buffer.subarray(0, bytesRead);
    };
  }
}
