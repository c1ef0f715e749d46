/**
 * One measured pipeline in a process of its own (started by seal-compose.ts with an IPC channel):
 * runs the task given as JSON in argv[2], samples its own memory while the bytes flow, and sends
 * one PipelineMessage back before exiting. It imports only what the pipeline needs (not the
 * agent's handler modules, whose service kit alone would add some 200 MiB to every figure).
 */
import { createIpfs, type IpfsPort } from '@media-vault/ipfs';
import { createOpenStream, createSealStream } from '@media-vault/sealed';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MasterReader } from '../src/master-reader.js';
import type {
  MemoryPoint,
  MemoryReport,
  PipelineMessage,
  PipelineResult,
  PipelineTask,
  SealParams,
} from './pipeline-protocol.js';

const SAMPLE_MS = 50;

/** CLOCK_MONOTONIC in µs, the clock V8 stamps CPU profile samples with. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const QUARTERS = [0.25, 0.5, 0.75, 1];

/** Records RSS periodically and as the byte count crosses each quarter of the expected total. */
class MemoryTracker {
  private sampledPeak = 0;
  private readonly start = this.point();
  private readonly quarters: MemoryPoint[] = [];
  private readonly timer = setInterval(() => this.sample(), SAMPLE_MS).unref();

  constructor(private readonly expectedBytes: number) {}

  private sample(): number {
    const rss = process.memoryUsage.rss();
    this.sampledPeak = Math.max(this.sampledPeak, rss);
    return rss;
  }

  /** The full breakdown walks the heap, so it is taken only at the checkpoints. */
  private point(): MemoryPoint {
    const { rss, arrayBuffers } = process.memoryUsage();
    this.sampledPeak = Math.max(this.sampledPeak, rss);
    return { rss, arrayBuffers };
  }

  /**
   * A pass-through pipeline stage where the agent has its progress counter (byteCounter, which
   * is not imported: its module pulls in the service kit), taking a checkpoint at each quarter.
   */
  readonly counter = (source: AsyncIterable<Buffer>) => this.count(source);

  private async *count(source: AsyncIterable<Buffer>) {
    let total = 0;
    for await (const chunk of source) {
      total += chunk.length;
      this.passed(total);
      yield chunk;
    }
  }

  /** Takes a checkpoint at each quarter `total` crosses: for a pipeline that counts its own bytes. */
  readonly passed = (total: number): void => {
    while (
      this.quarters.length < QUARTERS.length &&
      total >= this.expectedBytes * QUARTERS[this.quarters.length]!
    ) {
      this.quarters.push(this.point());
    }
  };

  async finish(): Promise<MemoryReport> {
    clearInterval(this.timer);
    const end = this.point();
    const status = await readFile('/proc/self/status', 'utf8');
    const highWaterKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return {
      start: this.start,
      quarters: this.quarters,
      end,
      sampledPeak: this.sampledPeak,
      highWaterMark: Math.max(highWaterKb * 1024, this.sampledPeak),
    };
  }
}

const sealOptions = (seal: SealParams) => ({
  contentKey: Buffer.from(seal.contentKey, 'hex'),
  sourceUuid: seal.sourceUuid,
  plaintextSize: seal.plaintextSize,
  segmentSize: seal.segmentSize,
});

const expectedBytes = (task: PipelineTask): number => {
  switch (task.kind) {
    case 'seal':
      return task.seal.plaintextSize;
    case 'compose':
      return task.publicBlockSize;
    case 'add':
    case 'cat':
      return task.size;
  }
};

type Outcome = Omit<PipelineResult, 'ms' | 'cpuMs' | 'window' | 'memory'>;

async function run(task: PipelineTask, ipfs: IpfsPort, tracker: MemoryTracker) {
  const { counter } = tracker;
  switch (task.kind) {
    case 'seal': {
      // The agent's one pass: its key is drawn at random, as here, so nothing reads the file
      // before the seal does; the seal stream hashes what it encrypts.
      const options = sealOptions(task.seal);
      const reader = new MasterReader(options.segmentSize);
      const sealer = createSealStream(options);
      let added: Outcome['added'];
      await reader.seal(
        task.input,
        sealer,
        async (ciphertext) => {
          if (task.sink === 'discard') {
            for await (const _segment of ciphertext) continue;
          } else {
            added = await ipfs.add(ciphertext);
          }
        },
        tracker.passed,
      );
      const { plaintextSha256, publicBlockSize } = sealer.result;
      const hex = plaintextSha256.toString('hex');
      return { added, plaintextSha256: hex, publicBlockSize };
    }
    case 'add': {
      let added: Outcome['added'];
      const input = createReadStream(task.input, { highWaterMark: task.readSize });
      await pipeline(input, counter, async (bytes) => {
        added = await ipfs.add(bytes);
      });
      return { added };
    }
    case 'compose':
      await pipeline(
        Readable.from(ipfs.cat(task.cid)),
        counter,
        // Checks every segment's tag and, at the end, the whole plaintext's sha256.
        createOpenStream({
          ...sealOptions(task.seal),
          plaintextSha256: Buffer.from(task.plaintextSha256, 'hex'),
        }),
        createWriteStream(task.output),
      );
      return {};
    case 'cat':
      await pipeline(Readable.from(ipfs.cat(task.cid)), counter, createWriteStream(task.output));
      return {};
  }
}

const send = (message: PipelineMessage) =>
  new Promise<void>((resolve, reject) =>
    process.send!(message, undefined, {}, (err) => (err ? reject(err) : resolve())),
  );

const task = JSON.parse(process.argv[2] ?? 'null') as PipelineTask;
try {
  const ipfs = await createIpfs({ apiUrl: task.apiUrl, directory: '' });
  const tracker = new MemoryTracker(expectedBytes(task));
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const windowStart = monotonicUs();
  const outcome: Outcome = await run(task, ipfs, tracker);
  const window = { startUs: windowStart, endUs: monotonicUs() };
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const memory = await tracker.finish();
  await send({ ok: true, result: { ...outcome, ms, cpuMs, window, memory } });
} catch (err) {
  await send({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exitCode = 1;
} finally {
  process.disconnect();
}
