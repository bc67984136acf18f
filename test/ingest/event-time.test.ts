// Event times: ISO-8601 read strictly (no impossible dates, ±hh offsets accepted), the same for
// ingest, SQL TIMESTAMP literals and expressions.
import t from 'tap';
import { readEventTime } from '../../src/ingest/event-time.js';
import { parseIsoTime } from '../../src/util/iso-time.js';
import { compileQuery } from '../../src/sql/compile.js';

void t.test('impossible dates are refused, real ones read as Date.parse would', (t) => {
  for (const bad of ['2026-02-30T00:00:00Z', '2026-04-31', '2025-02-29', '2026-13-01', '2026-01-01T24:00:00Z', '2026-01-01T10:60:00Z']) {
    t.match(readEventTime(bad), { ok: false }, `${bad} refused`);
  }
  for (const good of ['2024-02-29T12:00:00Z', '2026-01-01', '2026-12-31T23:59:59.999Z', '2026-01-01T00:00:00+01:00', '2026-06-01T08:30:00-0230']) {
    t.same(readEventTime(good), { ok: true, ms: Date.parse(good.length === 10 ? good : good) }, `${good}`);
  }
  t.end();
});

void t.test('a ±hh offset is ISO-8601 too; no offset reads as UTC; digits past milliseconds are cut', (t) => {
  t.equal(parseIsoTime('2026-01-01T00:00:00+01'), Date.parse('2026-01-01T00:00:00+01:00'));
  t.equal(parseIsoTime('2026-01-01 10:00:00'), Date.parse('2026-01-01T10:00:00Z'));
  t.equal(parseIsoTime('2026-01-01T00:00:00.123456Z'), Date.parse('2026-01-01T00:00:00.123Z'));
  t.equal(parseIsoTime('0050-01-01T00:00:00Z'), Date.parse('0050-01-01T00:00:00Z'), 'years below 100 are not 19xx');
  t.end();
});

void t.test('a TIMESTAMP literal for an impossible date is refused at compile time', (t) => {
  t.throws(() => compileQuery("SELECT COUNT(*) AS n FROM s WHERE ts > TIMESTAMP '2026-02-30 00:00:00'"), /invalid TIMESTAMP literal/);
  t.doesNotThrow(() => compileQuery("SELECT COUNT(*) AS n FROM s WHERE ts > TIMESTAMP '2026-02-28 00:00:00'"));
  t.end();
});
