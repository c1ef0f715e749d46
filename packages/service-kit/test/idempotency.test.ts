import { VaultError } from '@media-vault/contracts';
import { describeOnDatabases, type TestDatabase } from '@media-vault/test-harness/databases';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from '../src/database.js';
import { requestDigestOf, runOnce, type IdempotentCall } from '../src/idempotency.js';
import {
  idempotencyKeys,
  migrationsFolder,
  outbox,
  things,
} from './fixtures/idempotency-schema.js';
import { silentLog } from './helpers.js';

const schema = { outbox, idempotencyKeys, things };
let n = 0;
const newKey = () => `key-${Date.now().toString(36)}-${++n}`;

it('digests a request by what it says, not by the order of its fields', () => {
  const a = requestDigestOf('svc.x.create', { name: 'a', size: '5', tags: [1, 2] });
  expect(requestDigestOf('svc.x.create', { tags: [1, 2], size: '5', name: 'a' })).toBe(a);
  expect(requestDigestOf('svc.x.create', { name: 'a', size: '5', tags: [2, 1] })).not.toBe(a);
  expect(requestDigestOf('svc.y.create', { name: 'a', size: '5', tags: [1, 2] })).not.toBe(a);
  // A field left out and a field set to undefined are the same request.
  expect(
    requestDigestOf('svc.x.create', { name: 'a', size: '5', tags: [1, 2], x: undefined }),
  ).toBe(a);
});

describeOnDatabases('runOnce on $driver', (backend) => {
  let database: OpenDatabase<typeof schema>;
  let place: TestDatabase | undefined;

  beforeAll(async () => {
    place = await backend.create('sk_idem');
    database = await openDatabase({
      schema,
      url: place.url,
      pgliteDir: place.dir,
      migrationsFolder,
      log: silentLog,
    });
  });
  afterAll(async () => {
    await database?.close();
    await place?.remove();
  });

  const createThing = (call: IdempotentCall, name: string) =>
    database.db.transaction((tx) =>
      runOnce(tx, call, async () => {
        const [row] = await tx.insert(things).values({ name }).returning();
        return { id: row!.id, name };
      }),
    );
  const count = async (name: string) =>
    (await database.db.select().from(things)).filter((t) => t.name === name).length;
  const call = (key: string | undefined, name: string, userId = 'u1'): IdempotentCall => ({
    userId,
    key,
    subject: 'svc.kit.create',
    request: { name },
  });

  it('runs once per user and key, and replays the stored reply', async () => {
    const key = newKey();
    const name = `thing-${key}`;
    const first = await createThing(call(key, name), name);
    expect(await createThing(call(key, name), name)).toEqual(first);
    expect(await count(name)).toBe(1);
  });

  it('without a key, runs every time', async () => {
    const name = `thing-${newKey()}`;
    await createThing(call(undefined, name), name);
    await createThing(call(undefined, name), name);
    expect(await count(name)).toBe(2);
  });

  it('refuses the same key with another request, and creates nothing', async () => {
    const key = newKey();
    const name = `thing-${key}`;
    await createThing(call(key, name), name);
    const refused = await createThing(call(key, `${name}-other`), `${name}-other`).catch(
      (err: unknown) => err,
    );
    expect(refused instanceof VaultError && refused.kind).toBe('conflict');
    expect(await count(`${name}-other`)).toBe(0);
  });

  it("keeps users apart: another user's same key runs for them", async () => {
    const key = newKey();
    const name = `thing-${key}`;
    const mine = await createThing(call(key, name, 'u1'), name);
    const theirs = await createThing(call(key, name, 'u2'), name);
    expect(theirs.id).not.toBe(mine.id);
    expect(await count(name)).toBe(2);
  });

  it('releases the key when the create fails, so the retry runs', async () => {
    const key = newKey();
    const name = `thing-${key}`;
    const failed = await database.db
      .transaction((tx) =>
        runOnce(tx, call(key, name), async () => {
          await tx.insert(things).values({ name });
          throw new Error('the create failed');
        }),
      )
      .catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(Error);
    expect(await count(name)).toBe(0);
    await createThing(call(key, name), name);
    expect(await count(name)).toBe(1);
  });

  it('settles concurrent calls with one key on one create', async () => {
    // pglite serialises transactions, so this races only on Postgres; it must hold on both.
    const key = newKey();
    const name = `thing-${key}`;
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => createThing(call(key, name), name)),
    );
    expect(new Set(replies.map((r) => r.id)).size).toBe(1);
    expect(await count(name)).toBe(1);
  });
});
