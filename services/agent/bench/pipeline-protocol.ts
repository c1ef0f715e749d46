/**
 * What the benchmark asks of one pipeline process (as JSON in argv) and what that process reports
 * back over IPC. Each pipeline runs in its own process so that its memory is measured alone.
 */
interface KuboTask {
  /** Kubo RPC API URL, given to createIpfs as the worker does. */
  readonly apiUrl: string;
}

/** The parts of a private block the seal and open streams need; the key travels as hex. */
export interface SealParams {
  readonly contentKey: string;
  readonly sourceUuid: string;
  readonly plaintextSize: number;
  readonly segmentSize: number;
}

export type PipelineTask =
  /**
   * As the agent's seal handler does, in one read: master file → createSealStream (which also
   * hashes the file) → ipfs.add.
   */
  | (KuboTask & {
      readonly kind: 'seal';
      readonly input: string;
      readonly seal: SealParams;
      /** `discard` drops the public block instead of adding it: the seal stream's own memory. */
      readonly sink?: 'kubo' | 'discard';
    })
  /** master file → ipfs.add: the peer of `seal`. */
  | (KuboTask & {
      readonly kind: 'add';
      readonly input: string;
      readonly size: number;
      /** How much each file read yields (what the adapter gets per chunk); default 64 KiB. */
      readonly readSize?: number;
    })
  /** ipfs.cat(public block) → createOpenStream → file. */
  | (KuboTask & {
      readonly kind: 'compose';
      readonly cid: string;
      readonly output: string;
      readonly seal: SealParams;
      readonly publicBlockSize: number;
      readonly plaintextSha256: string;
    })
  /** ipfs.cat(plain file) → file: the peer of `compose`. */
  | (KuboTask & {
      readonly kind: 'cat';
      readonly cid: string;
      readonly output: string;
      readonly size: number;
    });

/** Bytes at one moment: resident set, and the part of it held in Buffers outside the JS heap. */
export interface MemoryPoint {
  readonly rss: number;
  readonly arrayBuffers: number;
}

export interface MemoryReport {
  /** After start-up and connecting to Kubo, before the first byte moves. */
  readonly start: MemoryPoint;
  /** When 25, 50, 75 and 100 % of the pipeline's input had been read. */
  readonly quarters: readonly MemoryPoint[];
  /** Once the pipeline has finished. */
  readonly end: MemoryPoint;
  /** Resident set sizes in bytes: */
  /** The largest of the periodic samples. */
  readonly sampledPeak: number;
  /** The kernel's high-water mark (VmHWM) for the whole process. */
  readonly highWaterMark: number;
}

export interface PipelineResult {
  /** Time from the first read to the last write, without process start-up. */
  readonly ms: number;
  /** CPU time (user + system) the pipeline process spent in that time. */
  readonly cpuMs: number;
  /** The same span on the monotonic clock (µs), to cut start-up out of a CPU profile. */
  readonly window: { readonly startUs: number; readonly endUs: number };
  /** add and seal: the CID and the byte count the adapter reported. */
  readonly added?: { readonly cid: string; readonly size: number };
  /** seal: what the private block would record. */
  readonly plaintextSha256?: string;
  readonly publicBlockSize?: number;
  readonly memory: MemoryReport;
}

export type PipelineMessage =
  | { readonly ok: true; readonly result: PipelineResult }
  | { readonly ok: false; readonly error: string };
