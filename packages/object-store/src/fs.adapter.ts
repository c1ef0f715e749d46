import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import {
  checkedSource,
  checkKey,
  checkPrefix,
  rangeOf,
  sliceStream,
  type Measured,
} from './object-checks.js';
import {
  ObjectExistsError,
  ObjectNotFoundError,
  type GetOptions,
  type ObjectStorePort,
  type PutOptions,
  type StoredObject,
} from './object-store-port.js';

export interface FsObjectStoreOptions {
  readonly directory: string;
  /** Flush data and directories to the disk before an object becomes visible (default true). */
  readonly durable?: boolean;
  /**
   * A half-written put untouched this long is taken for a crash's leftover and removed when a
   * store opens (default one hour). Several processes share one directory, so a put another
   * process is still writing must not be swept away by this one starting.
   */
  readonly abandonedAfterMs?: number;
}

// An object is one file `<key>~`: its content, then a trailer of TRAILER_BYTES (a magic, the
// content's size and its SHA-256). `~` is not allowed in keys, so an object never collides with
// a folder of keys below it. With size and digest inside the object there is one file to flush
// and one name to publish per put; stores written before that hold a directory `<key>~` with
// `data` and `meta.json`, which are still read.
const OBJECT_SUFFIX = '~';
const MAGIC = Buffer.from('mvobj1\r\n', 'latin1');
const TRAILER_BYTES = MAGIC.length + 8 + 32;

const WRITE_BATCH = 1024 * 1024;

interface Found extends StoredObject {
  /** Where the content is: the object file itself, or a legacy object's `data`. */
  readonly path: string;
}

const isCode = (err: unknown, ...codes: string[]): boolean =>
  codes.includes((err as NodeJS.ErrnoException).code ?? '');

/** The store's own refusal of a file under `objects/` that it cannot have written whole. */
class DamagedObjectError extends Error {
  override readonly name = 'DamagedObjectError';
  constructor(readonly path: string) {
    super(`${path} is not a complete object of this store (no valid trailer)`);
  }
}

function trailerOf(size: number, sha256: string): Buffer {
  const trailer = Buffer.alloc(TRAILER_BYTES);
  MAGIC.copy(trailer, 0);
  trailer.writeBigUInt64BE(BigInt(size), MAGIC.length);
  trailer.write(sha256, MAGIC.length + 8, 'hex');
  return trailer;
}

/**
 * Objects as files under one directory, the default on one machine. A put writes a private file
 * under `.incoming/`, flushes it, and hard-links it to its key: link onto a name that exists
 * fails, which makes keys write-once without a lock, and a reader sees either nothing or the
 * whole object. Deletes rename into `.trash/` first for the same reason.
 */
export async function openFsObjectStore(options: FsObjectStoreOptions): Promise<ObjectStorePort> {
  const root = options.directory;
  const objects = join(root, 'objects');
  const incoming = join(root, '.incoming');
  const trash = join(root, '.trash');
  const durable = options.durable ?? true;
  await Promise.all([objects, incoming, trash].map((d) => mkdir(d, { recursive: true })));
  // What a crash left half-written or half-deleted is nobody's object. A legacy put's work
  // directory is as old as the newest of itself and its data file.
  const abandoned = Date.now() - (options.abandonedAfterMs ?? 3_600_000);
  for (const name of await readdir(incoming)) {
    const work = join(incoming, name);
    const touched = await Promise.all(
      [work, join(work, 'data')].map((p) =>
        stat(p).then(
          (s) => s.mtimeMs,
          () => 0,
        ),
      ),
    );
    if (Math.max(...touched) < abandoned) await rm(work, { recursive: true, force: true });
  }
  for (const name of await readdir(trash)) {
    await rm(join(trash, name), { recursive: true, force: true });
  }

  const objectPath = (key: string) => join(objects, ...checkKey(key).split('/')) + OBJECT_SUFFIX;

  // Flushes a directory; fsync needs no write access on Linux.
  const syncDir = async (path: string) => {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  };

  /**
   * Makes `dir` and any missing folders above it; returns the folders it made. A recursive
   * mkdir does part of its work on the calling thread, where a directory operation waiting on
   * the filesystem's journal (behind another put's flush) held up every request; one level at a
   * time, each mkdir runs on the thread pool.
   */
  const makeFolders = async (dir: string): Promise<string[]> => {
    try {
      await mkdir(dir);
      return [dir];
    } catch (err) {
      if (isCode(err, 'EEXIST')) return [];
      if (!isCode(err, 'ENOENT') || dir === objects) throw err;
    }
    const above = await makeFolders(dirname(dir));
    try {
      await mkdir(dir);
    } catch (err) {
      // Another put made it meanwhile.
      if (isCode(err, 'EEXIST')) return above;
      throw err;
    }
    return [...above, dir];
  };

  const readLegacy = async (dir: string, key: string): Promise<Found | null> => {
    try {
      const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as {
        size: number;
        sha256: string;
        modified: string;
      };
      const { size, sha256 } = meta;
      return { key, size, sha256, modified: new Date(meta.modified), path: join(dir, 'data') };
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return null;
      throw err;
    }
  };

  /** The object at `path` from its trailer, read through an open handle. */
  const readTrailer = async (handle: FileHandle, path: string, key: string): Promise<Found> => {
    const s = await handle.stat();
    const size = s.size - TRAILER_BYTES;
    const trailer = Buffer.alloc(TRAILER_BYTES);
    if (size >= 0) await handle.read(trailer, 0, TRAILER_BYTES, size);
    if (
      size < 0 ||
      !trailer.subarray(0, MAGIC.length).equals(MAGIC) ||
      trailer.readBigUInt64BE(MAGIC.length) !== BigInt(size)
    ) {
      throw new DamagedObjectError(path);
    }
    const sha256 = trailer.subarray(MAGIC.length + 8).toString('hex');
    return { key, size, sha256, modified: s.mtime, path };
  };

  /**
   * Opens the object at `path`: the open handle of its file (null for a legacy directory) and
   * what it holds; null when there is no object.
   */
  const openObject = async (
    path: string,
    key: string,
  ): Promise<{ found: Found; handle: FileHandle | null } | null> => {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return null;
      throw err;
    }
    try {
      if ((await handle.stat()).isDirectory()) {
        await handle.close();
        const found = await readLegacy(path, key);
        return found && { found, handle: null };
      }
      return { found: await readTrailer(handle, path, key), handle };
    } catch (err) {
      await handle.close();
      throw err;
    }
  };

  const statObject = async (path: string, key: string): Promise<Found | null> => {
    const opened = await openObject(path, key);
    await opened?.handle?.close();
    return opened?.found ?? null;
  };

  /**
   * Streams `chunks` and then `trailer()` into a new file. Pieces arrive as the sender's packets
   * (64 KiB or less); they are gathered into batches of WRITE_BATCH bytes written with one writev
   * each, and the next batch is read and hashed while the previous one is written: one system
   * call per piece, each awaited, left the process waiting on the disk for most of an upload. At
   * most one write is in flight, so a put holds at most two batches in memory. The file is
   * flushed once, at the end: flushing each batch while the next arrived shortened that last
   * flush but tied reading to the disk's flush latency, and halved throughput on a busy disk.
   */
  const writeObjectFile = async (
    path: string,
    chunks: AsyncIterable<Uint8Array>,
    trailer: () => Buffer,
  ): Promise<Date> => {
    const handle = await open(path, 'wx');
    let inFlight: Promise<void> = Promise.resolve();
    const write = (batch: Uint8Array[], bytes: number) =>
      handle.writev(batch).then(({ bytesWritten }) => {
        if (bytesWritten !== bytes)
          throw new Error(`${path}: short write (${bytesWritten} of ${bytes})`);
      });
    try {
      let batch: Uint8Array[] = [];
      let bytes = 0;
      for await (const chunk of chunks) {
        batch.push(chunk);
        bytes += chunk.byteLength;
        if (bytes < WRITE_BATCH) continue;
        await inFlight;
        inFlight = write(batch, bytes);
        batch = [];
        bytes = 0;
      }
      await inFlight;
      const last = trailer();
      await write([...batch, last], bytes + last.byteLength);
      // Data and size reach the disk before the name does; fdatasync skips the timestamps, which
      // nothing needs to survive a crash.
      if (durable) await handle.datasync();
      return (await handle.stat()).mtime;
    } finally {
      // A source that failed mid-way leaves a write in flight: it ends before the file closes.
      await inFlight.catch(() => undefined);
      await handle.close();
    }
  };

  const remove = async (path: string): Promise<boolean> => {
    const doomed = join(trash, randomUUID());
    try {
      await rename(path, doomed);
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return false;
      throw err;
    }
    await rm(doomed, { recursive: true, force: true });
    return true;
  };

  async function* walk(dir: string): AsyncGenerator<string> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return;
      throw err;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.name.endsWith(OBJECT_SUFFIX)) {
        if (entry.isFile() || entry.isDirectory()) yield path;
      } else if (entry.isDirectory()) yield* walk(path);
    }
  }

  const keyOf = (path: string) =>
    relative(objects, path).slice(0, -OBJECT_SUFFIX.length).split(sep).join('/');

  const publicOf = ({ key, size, sha256, modified }: Found): StoredObject => ({
    key,
    size,
    sha256,
    modified,
  });

  async function* list(prefix = ''): AsyncGenerator<StoredObject> {
    checkPrefix(prefix);
    // Only the folder the prefix names is walked, not the whole store.
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    for await (const path of walk(join(objects, ...base.split('/').filter(Boolean)))) {
      const key = keyOf(path);
      if (!key.startsWith(prefix)) continue;
      // A damaged file is not listed (and so never expires into someone's merge either): stat
      // and get name it.
      const found = await statObject(path, key).catch((err: unknown) => {
        if (err instanceof DamagedObjectError) return null;
        throw err;
      });
      if (found) yield publicOf(found);
    }
  }

  return {
    async put(key: string, source: AsyncIterable<Uint8Array>, opts: PutOptions = {}) {
      const target = objectPath(key);
      if (await stat(target).catch(() => null)) throw new ObjectExistsError(key);
      const work = join(incoming, randomUUID());
      try {
        const measured: Partial<Measured> = {};
        const modified = await writeObjectFile(
          work,
          checkedSource(key, source, opts, measured),
          () => trailerOf(measured.size!, measured.sha256!),
        );
        const parent = dirname(target);
        const made = await makeFolders(parent);
        try {
          await link(work, target);
        } catch (err) {
          if (isCode(err, 'EEXIST')) throw new ObjectExistsError(key);
          throw err;
        }
        // The new name, and the entry of each folder made for it, reach the disk before the put
        // returns.
        if (durable) await Promise.all([parent, ...made.map(dirname)].map(syncDir));
        return { key, size: measured.size!, sha256: measured.sha256!, modified };
      } finally {
        await unlink(work).catch(() => undefined);
      }
    },

    async *get(key: string, opts: GetOptions = {}) {
      const opened = await openObject(objectPath(key), key);
      if (!opened) throw new ObjectNotFoundError(key);
      const { found, handle } = opened;
      try {
        const range = rangeOf(opts, found.size);
        if (range.start >= range.end) return;
        // Read through the handle the trailer came from: a delete meanwhile (a rename away) does
        // not cut the read short.
        const file = createReadStream(handle ? '' : found.path, {
          ...(handle ? { fd: handle, autoClose: false } : {}),
          start: range.start,
          end: range.end - 1,
          signal: opts.signal,
        });
        yield* sliceStream(file, { start: 0, end: range.end - range.start }, opts.signal);
      } finally {
        await handle?.close();
      }
    },

    stat: async (key: string) => {
      const found = await statObject(objectPath(key), key);
      return found && publicOf(found);
    },

    delete: async (key: string) => remove(objectPath(key)),

    list,

    async expire(before: Date, prefix = '') {
      let deleted = 0;
      for await (const object of list(prefix)) {
        if (object.modified < before && (await remove(objectPath(object.key)))) deleted++;
      }
      return deleted;
    },

    close: async () => {},
  };
}
