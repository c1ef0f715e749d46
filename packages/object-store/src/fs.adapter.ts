import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
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
  /** fsync data and directories before an object becomes visible (default true). */
  readonly durable?: boolean;
  /**
   * A half-written put untouched this long is taken for a crash's leftover and removed when a
   * store opens (default one hour). Several processes share one directory, so a put another
   * process is still writing must not be swept away by this one starting.
   */
  readonly abandonedAfterMs?: number;
}

// An object is a directory `<key>~` holding `data` and `meta.json`. `~` is not allowed in keys,
// so an object never collides with a folder of keys below it.
const OBJECT_SUFFIX = '~';

const WRITE_BATCH = 1024 * 1024;

interface Meta {
  readonly size: number;
  readonly sha256: string;
  readonly modified: string;
}

const isCode = (err: unknown, ...codes: string[]): boolean =>
  codes.includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * Objects as files under one directory, the default on one machine. A put writes into a private
 * directory under `.incoming/`, fsyncs it and renames it into place: rename of a directory onto a
 * path that exists fails, which makes keys write-once without a lock, and a reader sees either
 * nothing or the whole object. Deletes rename into `.trash/` first for the same reason.
 */
export async function openFsObjectStore(options: FsObjectStoreOptions): Promise<ObjectStorePort> {
  const root = options.directory;
  const objects = join(root, 'objects');
  const incoming = join(root, '.incoming');
  const trash = join(root, '.trash');
  const durable = options.durable ?? true;
  await Promise.all([objects, incoming, trash].map((d) => mkdir(d, { recursive: true })));
  // What a crash left half-written or half-deleted is nobody's object.
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

  const objectDir = (key: string) => join(objects, ...checkKey(key).split('/')) + OBJECT_SUFFIX;

  // Flushes a file or a directory; fsync needs no write access on Linux.
  const sync = async (path: string) => {
    if (!durable) return;
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  };

  const readMeta = async (dir: string, key: string): Promise<StoredObject | null> => {
    try {
      const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as Meta;
      return { key, size: meta.size, sha256: meta.sha256, modified: new Date(meta.modified) };
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return null;
      throw err;
    }
  };

  const writeFile = async (
    path: string,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ) => {
    const handle = await open(path, 'wx');
    // Pieces arrive as the sender's packets (64 KiB or less). They are gathered into batches of
    // WRITE_BATCH bytes written with one writev each, and the next batch is read and hashed while
    // the previous one is written: one system call per piece, each awaited, left the process
    // waiting on the disk for most of an upload. At most one write is in flight, so an object
    // holds at most two batches in memory.
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
      if (bytes > 0) await write(batch, bytes);
    } finally {
      // A source that failed mid-way leaves a write in flight: it ends before the file closes.
      await inFlight.catch(() => undefined);
      await handle.close();
    }
  };

  const remove = async (dir: string): Promise<boolean> => {
    const doomed = join(trash, randomUUID());
    try {
      await rename(dir, doomed);
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
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (entry.name.endsWith(OBJECT_SUFFIX)) yield path;
      else yield* walk(path);
    }
  }

  const keyOf = (dir: string) =>
    relative(objects, dir).slice(0, -OBJECT_SUFFIX.length).split(sep).join('/');

  async function* list(prefix = ''): AsyncGenerator<StoredObject> {
    checkPrefix(prefix);
    // Only the folder the prefix names is walked, not the whole store.
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    for await (const dir of walk(join(objects, ...base.split('/').filter(Boolean)))) {
      const key = keyOf(dir);
      if (!key.startsWith(prefix)) continue;
      const meta = await readMeta(dir, key);
      if (meta) yield meta;
    }
  }

  return {
    async put(key: string, source: AsyncIterable<Uint8Array>, opts: PutOptions = {}) {
      const target = objectDir(key);
      if (await readMeta(target, key)) throw new ObjectExistsError(key);
      const work = join(incoming, randomUUID());
      await mkdir(work);
      try {
        const measured: Partial<Measured> = {};
        await writeFile(join(work, 'data'), checkedSource(key, source, opts, measured));
        const meta: Meta = {
          size: measured.size!,
          sha256: measured.sha256!,
          modified: new Date().toISOString(),
        };
        await writeFile(join(work, 'meta.json'), [Buffer.from(JSON.stringify(meta))]);
        // The three flushes go to the disk together (ext4 commits them in one journal
        // transaction) instead of each waiting for the one before.
        await Promise.all([join(work, 'data'), join(work, 'meta.json'), work].map(sync));
        await mkdir(dirname(target), { recursive: true });
        try {
          await rename(work, target);
        } catch (err) {
          if (isCode(err, 'EEXIST', 'ENOTEMPTY')) throw new ObjectExistsError(key);
          throw err;
        }
        await sync(dirname(target));
        return { key, size: meta.size, sha256: meta.sha256, modified: new Date(meta.modified) };
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },

    async *get(key: string, opts: GetOptions = {}) {
      const dir = objectDir(key);
      const meta = await readMeta(dir, key);
      if (!meta) throw new ObjectNotFoundError(key);
      const range = rangeOf(opts, meta.size);
      if (range.start >= range.end) return;
      const file = createReadStream(join(dir, 'data'), {
        start: range.start,
        end: range.end - 1,
        signal: opts.signal,
      });
      yield* sliceStream(file, { start: 0, end: range.end - range.start }, opts.signal);
    },

    stat: async (key: string) => readMeta(objectDir(key), key),

    delete: async (key: string) => remove(objectDir(key)),

    list,

    async expire(before: Date, prefix = '') {
      let deleted = 0;
      for await (const object of list(prefix)) {
        if (object.modified < before && (await remove(objectDir(object.key)))) deleted++;
      }
      return deleted;
    },

    close: async () => {},
  };
}
