import { PGlite } from '@electric-sql/pglite';
import { existsSync } from 'node:fs';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeOnDatabases, type TestDatabase } from '../src/databases.js';

const ran: string[] = [];

describeOnDatabases('describeOnDatabases on $driver', (backend) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await backend.create('harness-db');
  });

  afterAll(async () => {
    await database?.remove();
  });

  it('hands the suite a fresh database of its own that takes writes', async () => {
    ran.push(backend.driver);
    expect(database.driver).toBe(backend.driver);
    expect(database.env.DATA_DIR).toBe(database.dir);
    expect(existsSync(database.dir)).toBe(true);
    if (backend.driver === 'postgres') {
      expect(database.url).toMatch(/^postgres:\/\/.+\/harness_db_[a-z0-9_]+$/);
      expect(database.env.DATABASE_URL).toBe(database.url);
      const sql = postgres(database.url!, { max: 1, onnotice: () => {} });
      try {
        await sql`create table t (n int)`;
        await sql`insert into t values (7)`;
        expect(await sql`select n from t`).toEqual([{ n: 7 }]);
      } finally {
        await sql.end();
      }
    } else {
      expect(database.url).toBeUndefined();
      expect(database.env).not.toHaveProperty('DATABASE_URL');
      const pg = new PGlite(database.dir);
      try {
        await pg.exec('create table t (n int); insert into t values (7);');
        expect((await pg.query('select n from t')).rows).toEqual([{ n: 7 }]);
      } finally {
        await pg.close();
      }
    }
  });

  it('gives every create a database of its own', async () => {
    const other = await backend.create('harness-db');
    try {
      expect(other.dir).not.toBe(database.dir);
      expect(other.url).toEqual(backend.driver === 'postgres' ? expect.any(String) : undefined);
      if (backend.driver === 'postgres') expect(other.url).not.toBe(database.url);
    } finally {
      await other.remove();
    }
    expect(existsSync(other.dir)).toBe(false);
  });
});

describe('describeOnDatabases', () => {
  it('ran the suite on Postgres, then on PGlite', () => {
    expect(ran).toEqual(['postgres', 'pglite']);
  });
});
