import { pgTable, text } from 'drizzle-orm/pg-core';
import {
  ADMIN,
  createDatabase,
  makeTempDir,
  natsAccess,
  natsCreds,
  uniqueName,
} from '@media-vault/test-harness';
import { describe, expect, inject, it } from 'vitest';
import { migrationsConfig, openDatabase } from '../src/database.js';
import { enqueueEvents, newEventId } from '../src/outbox.js';
import { migrationsFolder, outbox } from './fixtures/outbox-schema.js';
import { databaseDrivers } from '../src/database-drivers.js';
import { createRuntime } from '../src/runtime.js';
import { silentLog, subjectCount, waitFor } from './helpers.js';

const servers = inject('servers');

describe('openDatabase', () => {
  it('keeps drizzle’s migrations table in the Postgres schema of the service’s outbox', () => {
    expect(migrationsConfig({ outbox }, '/m')).toEqual({
      migrationsFolder: '/m',
      migrationsSchema: 'kit',
      migrationsTable: '__drizzle_migrations',
    });
    expect(() => migrationsConfig({}, '/m')).toThrow(/no `outbox` table/);
    const inPublic = pgTable('outbox', { id: text() });
    expect(() => migrationsConfig({ outbox: inPublic }, '/m')).toThrow(/own pgSchema/);
  });

  it('applies migrations once when replicas open the same Postgres database together', async () => {
    const url = await createDatabase(servers.postgresUrl!, uniqueName('sk_migrate'));
    const open = () =>
      openDatabase({ schema: { outbox }, url, pgliteDir: '', migrationsFolder, log: silentLog });
    const opened = await Promise.all([open(), open(), open()]);
    try {
      // A fourth start finds everything applied and changes nothing.
      const again = await open();
      await again.close();
      for (const d of opened) await d.ping();
      const [first] = opened;
      expect(first?.driver).toBe('postgres');
      const rows = await first!.db.select().from(outbox);
      expect(rows).toEqual([]);
    } finally {
      await Promise.all(opened.map((d) => d.close()));
    }
  });

  it('reopens a PGlite directory without re-applying migrations', async () => {
    const dir = await makeTempDir('sk-pglite-reopen');
    try {
      const open = () =>
        openDatabase({ schema: { outbox }, pgliteDir: dir.path, migrationsFolder, log: silentLog });
      const first = await open();
      await first.db.transaction(async (tx) =>
        enqueueEvents(tx, [{ subject: 'events.x.y', payload: { id: newEventId() } }]),
      );
      await first.close();
      const second = await open();
      expect(second.driver).toBe('pglite');
      expect(await second.db.select().from(outbox)).toHaveLength(1);
      await second.close();
    } finally {
      await dir.remove();
    }
  });
});

describe('createRuntime', () => {
  it('wires NATS, streams, the database, the relay and the health server, and closes them', async () => {
    const url = await createDatabase(servers.postgresUrl!, uniqueName('sk_runtime'));
    const runtime = await createRuntime<Record<string, unknown>>({
      service: 'runtime-test',
      natsUrl: servers.natsUrl!,
      // The admin: the test publishes on a subject no service owns.
      natsCreds: await natsCreds(natsAccess(servers), ADMIN),
      natsInboxPrefix: '_INBOX',
      logLevel: 'silent',
      healthPort: 0,
      streams: ['EVENTS', 'JOBS'],
      database: {
        schema: { outbox },
        url,
        dataDir: '/nonexistent',
        migrationsFolder,
        drivers: databaseDrivers,
      },
    });
    let closed = false;
    try {
      expect(runtime.database.driver).toBe('postgres');
      const port = await runtime.serveHealth([['extra', () => {}]]);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', failures: [] });

      const subject = `events.sktest.${uniqueName('runtime')}`;
      await runtime.database.db.transaction(async (tx) =>
        enqueueEvents(tx, [{ subject, payload: { id: newEventId() } }]),
      );
      runtime.relay.notify();
      await waitFor('the runtime relay to publish', async () =>
        (await subjectCount(runtime.nc, subject)) === 1 ? true : undefined,
      );

      await runtime.lifecycle.close();
      closed = true;
      expect(runtime.nc.isClosed()).toBe(true);
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
      // Closing twice is harmless.
      await runtime.lifecycle.close();
    } finally {
      if (!closed) await runtime.lifecycle.close();
    }
  });
});
