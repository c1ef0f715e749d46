export { jobCount, readJobs, readSubject, subjectCount, waitFor } from '@media-vault/test-harness';
import { VaultError, type Principal, type RegisterAgentBody } from '@media-vault/contracts';
import { createLogger, openDatabase, type OpenDatabase } from '@media-vault/service-kit';
import type { DatabaseBackend } from '@media-vault/test-harness/databases';
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { schema } from '../src/db/index.js';

export const principal = (id: string): Principal => ({ id, name: `user ${id}`, roles: [] });

/** A 32-byte key as the contract accepts it: base64 with padding, or unpadded base64url. */
export const newKey = (encoding: 'base64' | 'base64url' = 'base64'): string =>
  randomBytes(32).toString(encoding);

let counter = 0;
/** Agent ids unique across files and runs: they name subjects in the shared EVENTS stream. */
export const newAgentId = (label = 'agent'): string =>
  `${label}-${process.pid}-${Date.now().toString(36)}-${++counter}`;

export const registration = (over: Partial<RegisterAgentBody> = {}): RegisterAgentBody => ({
  id: newAgentId(),
  peer_id: `12D3KooW${randomBytes(8).toString('hex')}`,
  public_key: newKey(),
  signing_key: newKey('base64url'),
  ...over,
});

export const rootPrincipal = (id: string): Principal => ({ id, name: `root ${id}`, roles: [1] });

/** The tasks schema, migrated, in a database of its own on `backend`; `close` also removes it. */
export async function openTasksDatabase(
  backend: DatabaseBackend,
  label: string,
): Promise<{ database: OpenDatabase<typeof schema>; close(): Promise<void> }> {
  const place = await backend.create(label);
  const database = await openDatabase({
    schema,
    url: place.url,
    pgliteDir: place.dir,
    migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
    log: createLogger('test', 'silent'),
  });
  return {
    database,
    async close() {
      await database.close();
      await place.remove();
    },
  };
}

/** The VaultError a use case refused with; fails the test when it resolved or threw another. */
export async function vaultErrorOf(work: Promise<unknown>): Promise<VaultError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VaultError);
  return err as VaultError;
}
