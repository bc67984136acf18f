// Runs every golden file: accepted queries must match their .explain file; --fail= files must be refused.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { compileQuery } from '../../src/sql/compile.js';
import { SqlError } from '../../src/sql/errors.js';

const dir = join(import.meta.dirname, 'golden');
const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
const update = process.env.UPDATE_GOLDEN === '1';

void t.test('the golden folder holds at least 60 files, 20 of them negative', (t) => {
  const negative = files.filter((f) => readFileSync(join(dir, f), 'utf8').startsWith('--fail='));
  t.ok(files.length >= 60, `${files.length} files`);
  t.ok(negative.length >= 20, `${negative.length} negative files`);
  t.end();
});

for (const file of files) {
  const text = readFileSync(join(dir, file), 'utf8');
  const firstLine = text.split('\n')[0] ?? '';
  if (firstLine.startsWith('--fail=')) {
    const expected = firstLine.slice('--fail='.length);
    const sql = text.slice(firstLine.length + 1);
    void t.test(`${file} is refused with "${expected}"`, (t) => {
      try {
        compileQuery(sql);
        t.fail('compiled, but must be refused');
      } catch (err) {
        t.ok(err instanceof SqlError, 'is a SqlError');
        const e = err as SqlError;
        t.match(e.message, expected);
        t.match(e.code, /^SG_ERR_SQL_/);
        t.ok(e.line >= 1 && e.column >= 1, `position ${e.line}:${e.column}`);
      }
      t.end();
    });
  } else {
    void t.test(`${file} compiles to its expected plan`, (t) => {
      const explainFile = join(dir, file.replace(/\.sql$/, '.explain'));
      const compiled = compileQuery(text);
      if (update || !existsSync(explainFile)) writeFileSync(explainFile, `${compiled.explain}\n`);
      t.equal(compiled.explain, readFileSync(explainFile, 'utf8').trimEnd());
      t.end();
    });
  }
}
