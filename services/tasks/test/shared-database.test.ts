import { CommandSubjects, EventSubjects } from '@media-vault/contracts';
import { sendCommand } from '@media-vault/service-kit';
import {
  connectAs,
  createDatabase,
  makeTempDir,
  natsEnv,
  principalVerifyEnv,
  startNats,
  startService,
  subjectCount,
  testSigner,
  uniqueName,
  waitFor,
  type StartedNats,
  type StartedProcess,
  type TempDir,
} from '@media-vault/test-harness';
import type { NatsConnection } from '@nats-io/transport-node';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** How many migrations a drizzle folder holds, by its journal. */
const journalLength = async (dir: string): Promise<number> =>
  (
    JSON.parse(await readFile(new URL(`${dir}/meta/_journal.json`, import.meta.url), 'utf8')) as {
      entries: unknown[];
    }
  ).entries.length;
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { principal, registration } from './helpers.js';

const servers = inject('servers');

/**
 * Small installs run one Postgres for the whole platform: both owning services, started as
 * processes the way `npm run dev` starts them, migrate and work side by side on ONE database,
 * each in its own schema. Its own nats-server, so no other test's tasks service answers here.
 */
describe('tasks and assets on one Postgres database', () => {
  let nats: StartedNats;
  let nc: NatsConnection;
  let dir: TempDir;
  let sql: postgres.Sql;
  const started: StartedProcess[] = [];

  beforeAll(async () => {
    nats = await startNats();
    nc = await connectAs(nats);
    dir = await makeTempDir('shared-db');
    const DATABASE_URL = await createDatabase(servers.postgresUrl!, uniqueName('shared'));
    sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    // Together, so both services run their migrations against the database at the same time.
    started.push(
      ...(await Promise.all(
        (['tasks', 'assets'] as const).map(async (kind) =>
          startService({
            service: kind,
            env: {
              ...(await natsEnv(nats, { kind })),
              ...principalVerifyEnv(),
              DATABASE_URL,
              DATA_DIR: dir.path,
            },
            readyWhen: /serving commands/,
          }),
        ),
      )),
    );
  });

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    await sql?.end();
    await nc?.drain();
    await nats?.stop();
    await dir?.remove();
  });

  it('keeps each service’s tables, outbox and migrations table in its own schema', async () => {
    const tables = await sql<{ schema: string; name: string }[]>`
      select table_schema as schema, table_name as name from information_schema.tables
      where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2`;
    const inSchema = (schema: string) =>
      tables.filter((t) => t.schema === schema).map((t) => t.name);
    expect(inSchema('tasks')).toEqual([
      '__drizzle_migrations',
      'agents',
      'audit_entries',
      'download_tasks',
      'grants',
      'idempotency_keys',
      'outbox',
      'private_tasks',
      'sources',
      'upload_tasks',
    ]);
    expect(inSchema('assets')).toEqual([
      '__drizzle_migrations',
      'audio_assets',
      'audio_chunks',
      'audio_reviews',
      'idempotency_keys',
      'outbox',
    ]);
    expect(tables.filter((t) => t.schema !== 'tasks' && t.schema !== 'assets')).toEqual([]);
    const [tasksMigrations] = await sql`select count(*)::int as n from tasks.__drizzle_migrations`;
    const [assetsMigrations] =
      await sql`select count(*)::int as n from assets.__drizzle_migrations`;
    // Every migration each service ships, applied once, each in its own schema's table.
    expect(tasksMigrations?.n).toBe(await journalLength('../drizzle'));
    expect(assetsMigrations?.n).toBe(await journalLength('../../assets/drizzle'));
  });

  it('writes and reads through both services and relays both outboxes to EVENTS', async () => {
    // Role 100 may upload audio assets; registering an agent needs no role.
    const alice = { ...principal(uniqueName('alice')), roles: [100] };
    const as = { principal: alice, signer: testSigner };

    const body = registration({ name: 'shared' });
    const agent = await sendCommand(nc, CommandSubjects.agentRegister, body, as);
    expect(agent.id).toBe(body.id);
    const listed = await sendCommand(nc, CommandSubjects.agentList, {}, as);
    expect(listed.map((a) => a.id)).toEqual([body.id]);

    const bytes = Buffer.from('one database, two schemas');
    const hash = createHash('sha256').update(bytes).digest('hex');
    const created = await sendCommand(
      nc,
      CommandSubjects.assetCreate,
      { name: 'shared.mp3', size: bytes.length, hash },
      as,
    );
    const read = await sendCommand(nc, CommandSubjects.assetGet, { id: created.id }, as);
    expect(read.asset).toMatchObject({ id: created.id, name: 'shared.mp3', status: 'DRAFT' });

    await waitFor('the agent event', async () =>
      (await subjectCount(nc, EventSubjects.agent(body.id))) === 1 ? true : undefined,
    );
    await waitFor('the asset event', async () =>
      (await subjectCount(nc, EventSubjects.audioAsset(created.id))) === 1 ? true : undefined,
    );
    const [tasksOutbox] = await sql`select count(*)::int as n from tasks.outbox`;
    const [assetsOutbox] = await sql`select count(*)::int as n from assets.outbox`;
    expect([tasksOutbox?.n, assetsOutbox?.n]).toEqual([0, 0]);
  });
});
