import { existsSync } from 'node:fs';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { createDatabase, startPostgres } from '../src/postgres.js';

describe('startPostgres', () => {
  it('gives a cluster where a fresh database takes writes, and stops it without a trace', async () => {
    const server = await startPostgres();
    let stopped = false;
    try {
      const url = await createDatabase(server.url, 'harness_check');
      expect(new URL(url).pathname).toBe('/harness_check');
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await sql`create table t (n int)`;
        await sql`insert into t values (1), (2)`;
        expect(await sql`select sum(n)::int as total from t`).toEqual([{ total: 3 }]);
      } finally {
        await sql.end();
      }
      await expect(createDatabase(server.url, 'harness_check')).rejects.toThrow(/already exists/);
      await expect(createDatabase(server.url, 'Bad-Name')).rejects.toThrow(/bad database name/);

      expect(existsSync(server.dir)).toBe(true);
      await server.stop();
      stopped = true;
      const probe = postgres(server.url, { max: 1, connect_timeout: 2, onnotice: () => {} });
      await expect(probe`select 1`).rejects.toThrow();
      await probe.end();
      expect(existsSync(server.dir)).toBe(false);
    } finally {
      if (!stopped) await server.stop();
    }
  });
});
