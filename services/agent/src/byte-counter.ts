import { Transform } from 'node:stream';

/** Counts bytes on their way through, for progress, without holding any. */
export const byteCounter = (onBytes: (total: number) => void): Transform => {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      onBytes(total);
      done(null, chunk);
    },
  });
};
