import { describeOnDatabases } from '@media-vault/test-harness/databases';
import { openFsObjectStore, type ObjectStorePort } from '@media-vault/object-store';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAssetUseCases, type AssetUseCases } from '../src/audio/asset.use-cases.js';
import { chunkObjectName } from '../src/audio/chunk-plan.rules.js';
import { OrphanChunksUseCase } from '../src/audio/orphan-chunks.use-case.js';
import { openTestDatabase, sha256, Uploads, user, type TestDatabase } from './helpers.js';

const CHUNK = 64 * 1024;
const limits = { chunkSize: CHUNK, maxSize: 10 * CHUNK };
const HOUR = 3_600_000;

describeOnDatabases('staged chunks nothing recorded, on $driver', (backend) => {
  let t: TestDatabase;
  let assets: AssetUseCases;
  let up: Uploads;
  let dir: string;
  let store: ObjectStorePort;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    assets = createAssetUseCases(t.db, limits);
    up = new Uploads(t.db, assets, limits);
    dir = await mkdtemp(join(tmpdir(), 'orphan-chunks-'));
    store = await openFsObjectStore({ directory: dir, durable: false });
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const put = (key: string, bytes: Buffer) =>
    store.put(
      key,
      (async function* () {
        yield new Uint8Array(bytes);
      })(),
    );

  it('deletes only old objects no chunk row points at', async () => {
    const p = user();
    const { id, bytes } = await up.draft(p, CHUNK + 100, []);
    const piece = bytes.subarray(0, CHUNK);
    // Recorded: the gateway stored it and the commit went through.
    const recorded = chunkObjectName(id, 0, 'recorded');
    await put(recorded, piece);
    await assets.upload.chunkCommit(p, {
      id,
      index: 0,
      object: recorded,
      size: piece.length,
      hash: sha256(piece),
    });
    // Stored, never recorded: a gateway that stopped between the two steps.
    const orphan = chunkObjectName(id, 1, 'orphan');
    await put(orphan, bytes.subarray(CHUNK));
    // A key no chunk upload writes.
    await put('stray', randomBytes(10));

    const sweep = new OrphanChunksUseCase(t.db, store);
    // Younger than the grace: an upload whose commit may be on its way.
    expect(await sweep.sweep(HOUR)).toBe(0);
    expect(await sweep.sweep(HOUR, new Date(Date.now() + 2 * HOUR))).toBe(2);
    expect(await store.stat(recorded)).not.toBeNull();
    expect(await store.stat(orphan)).toBeNull();
    expect(await store.stat('stray')).toBeNull();
    expect((await assets.upload.chunks(p, id)).chunks.map((c) => c.index)).toEqual([0]);
  });
});
