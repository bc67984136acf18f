// The SQL oracle for runtime tests: DuckDB over exactly the events that were acknowledged.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface OracleEvent {
  ts: number;
  [field: string]: string | number | null;
}

/** An in-memory DuckDB with one table `s` holding the events (columns from the first event). */
export async function oracle(events: OracleEvent[], columns: Record<string, 'VARCHAR' | 'DOUBLE' | 'BIGINT'>): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const names = Object.keys(columns);
  await conn.run(`CREATE TABLE s (${names.map((n) => `"${n}" ${columns[n]}`).join(', ')})`);
  const lit = (v: string | number | null | undefined) => (v === null || v === undefined ? 'NULL' : typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : String(v));
  for (let i = 0; i < events.length; i += 2000) {
    const chunk = events.slice(i, i + 2000);
    await conn.run(`INSERT INTO s VALUES ${chunk.map((e) => `(${names.map((n) => lit(e[n])).join(', ')})`).join(',')}`);
  }
  return conn;
}

/** Rows of a DuckDB query as plain JS values (BigInt → number, window bounds → ISO strings). */
export async function oracleRows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS().map((r) => {
    const row: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      const n = typeof v === 'bigint' ? Number(v) : v;
      row[k] = (k === 'window_start' || k === 'window_end') && typeof n === 'number' ? new Date(n).toISOString() : n;
    }
    return row;
  });
}

/** Compares result rows with oracle rows as multisets, numbers within a relative 1e-9. */
export function sameRows(actual: Record<string, unknown>[], expected: Record<string, unknown>[]): string[] {
  const canon = (row: Record<string, unknown>) =>
    JSON.stringify(Object.keys(row).sort().map((k) => [k, typeof row[k] === 'number' ? Number((row[k]).toPrecision(12)) : row[k]]));
  const a = actual.map(canon).sort();
  const e = expected.map(canon).sort();
  const problems: string[] = [];
  const ea = new Map<string, number>();
  for (const x of e) ea.set(x, (ea.get(x) ?? 0) + 1);
  for (const x of a) {
    const n = ea.get(x) ?? 0;
    if (n === 0) problems.push(`unexpected ${x}`);
    else ea.set(x, n - 1);
  }
  for (const [x, n] of ea) if (n > 0) problems.push(`missing ${x}`);
  return problems.slice(0, 20);
}
