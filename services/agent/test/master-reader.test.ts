import {
  createOpenStream,
  createSealStream,
  generateContentKey,
  isSealedFormatError,
} from '@media-vault/sealed';
import { makeTempDir, type TempDir } from '@media-vault/test-harness';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MasterReader, masterReadSize } from '../src/master-reader.js';

const SEGMENT = 65_536;
const sourceUuid = '3f2b8c1e-5a4d-4e6f-9b7a-0c1d2e3f4a5b';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

/**
 * The reader reads into two buffers that it reuses: these tests fail if a buffer were read into
 * while its piece was still being sealed (the sealed bytes would not open to the file).
 */
describe('reading a master in reused buffers', () => {
  let dir: TempDir;
  let path: string;
  // Several read pieces (64 segments each) and a short last segment.
  const bytes = randomBytes(6 * masterReadSize(SEGMENT) + 5 * SEGMENT + 77);

  beforeAll(async () => {
    dir = await makeTempDir('master-reader');
    path = join(dir.path, 'master.mov');
    await writeFile(path, bytes);
  });
  afterAll(() => dir?.remove());

  const layout = { plaintextSize: bytes.length, segmentSize: SEGMENT };

  it('seals what a slow consumer takes to exactly the bytes of the file', async () => {
    const contentKey = generateContentKey();
    const options = { contentKey, sourceUuid, ...layout };
    const reader = new MasterReader(SEGMENT);
    const sealer = createSealStream(options);
    const sealed: Buffer[] = [];
    let reported = 0;
    await reader.seal(
      path,
      sealer,
      async (ciphertext) => {
        // A consumer that is late to start keeps the seal stream busy and pieces waiting on it.
        await sleep(100);
        for await (const segment of ciphertext) {
          sealed.push(Buffer.from(segment));
          await sleep(5);
        }
      },
      (total) => (reported = total),
    );
    expect(reported).toBe(bytes.length);
    expect(sealer.result.plaintextSha256).toEqual(sha256(bytes));
    const opened: Buffer[] = [];
    const opener = createOpenStream({ ...options, plaintextSha256: sha256(bytes) });
    opener.on('data', (chunk: Buffer) => opened.push(chunk));
    await new Promise((resolve, reject) => {
      opener.once('end', resolve).once('error', reject);
      Readable.from(sealed).pipe(opener);
    });
    expect(Buffer.concat(opened).equals(bytes)).toBe(true);
  });

  it("fails with the consumer's own error when the consumer gives up", async () => {
    const sealer = createSealStream({ contentKey: generateContentKey(), sourceUuid, ...layout });
    const work = new MasterReader(SEGMENT).seal(path, sealer, async (ciphertext) => {
      for await (const _segment of ciphertext) throw new Error('IPFS went away');
    });
    await expect(work).rejects.toThrow('IPFS went away');
  });

  it("fails with the seal stream's reason when the file is longer than it was", async () => {
    const sealer = createSealStream({
      contentKey: generateContentKey(),
      sourceUuid,
      ...layout,
      plaintextSize: bytes.length - 1,
    });
    const failure = await new MasterReader(SEGMENT)
      .seal(path, sealer, async (ciphertext) => {
        for await (const _segment of ciphertext) continue;
      })
      .catch((err: unknown) => err);
    expect(isSealedFormatError(failure, 'trailing-data')).toBe(true);
  });
});
