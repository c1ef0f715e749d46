import { databaseBackend, type TestDatabase } from '@media-vault/test-harness/databases';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/dying-transaction.ts', import.meta.url));

let place: TestDatabase | undefined;
beforeAll(async () => {
  place = await databaseBackend('postgres').create('sk_conn_loss');
});
afterAll(async () => {
  await place?.remove();
});

// postgres.js 3.4.9 writes a transaction's ROLLBACK on a connection that has just closed from a
// timer, where the TypeError it throws ends the process (porsager/postgres#1154, #1208): every
// service writing when Postgres restarted died with it. patches/ guards the write; the process
// must stay up, say the database was unavailable, and get a fresh connection for what follows.
it('survives a transaction whose connection dies, and reconnects', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture, place!.url!], {
    timeout: 60_000,
  });
  expect(stdout.trim().split('\n')).toEqual(['unavailable', 'query 0', 'query 1', 'query 2']);
}, 90_000);
