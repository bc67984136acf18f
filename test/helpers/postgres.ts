// The machine's PostgreSQL (127.0.0.1:5432, trust auth, database `test`): a schema of its own per
// test, dropped at teardown.
import type { Test } from 'tap';
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export const PG_URL = process.env.SG_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  name: string;
  pool: pg.Pool;
  rows: (table: string) => Promise<Record<string, unknown>[]>;
}

export async function testSchema(t: Test): Promise<TestSchema> {
  const name = `sg_${randomBytes(5).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  pool.on('error', () => undefined);
  await pool.query(`CREATE SCHEMA ${name}`);
  t.teardown(async () => {
    await pool.query(`DROP SCHEMA ${name} CASCADE`).catch(() => undefined);
    await pool.end();
  });
  return {
    name,
    pool,
    rows: async (table) => (await pool.query<Record<string, unknown>>(`SELECT * FROM ${name}.${table}`)).rows,
  };
}
