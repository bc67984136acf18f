// Built-in scalar functions, on the same ScalarFunction interface user plugins implement.
import type { SqlType } from './sql-types.js';
import { isNumeric, surelyNotNumeric } from './sql-types.js';
import { compareNumeric, compareValues, roundHalfAway, toEpochMs, valueText } from './values.js';
import { Decimal, exactDecimal } from './decimal.js';
import type { ScalarFunction, TypeCheck } from './types.js';
import { checkTextLength } from './limits.js';

const text = valueText;
const num = (v: unknown): number | null => (typeof v === 'number' ? v : v instanceof Decimal ? v.toNumber() : typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : null);

const stringArgs = (name: string, result: SqlType) => (args: SqlType[]): TypeCheck => {
  const bad = args.find((t) => t !== 'varchar' && t !== 'any' && t !== 'null');
  return bad !== undefined && args[0] === bad ? { error: `${name} needs text, not ${bad}` } : result;
};
const numericArgs = (name: string, result: (args: SqlType[]) => SqlType) => (args: SqlType[]): TypeCheck => {
  const bad = args.find(surelyNotNumeric);
  return bad !== undefined ? { error: `${name} needs numbers, not ${bad}` } : result(args);
};
const sameAsFirst = (args: SqlType[]): SqlType => args[0] ?? 'any';
const intOrAny = (args: SqlType[]): SqlType => (isNumeric(args[0] ?? 'any') ? 'integer' : 'any');

const fn = (name: string, minArgs: number, maxArgs: number, returnType: (a: SqlType[]) => TypeCheck, call: (a: unknown[]) => unknown, nullSafe = false): ScalarFunction => ({
  kind: 'scalar', name, minArgs, maxArgs, returnType, call, nullSafe,
});

// A function that keeps DECIMAL exact: `onDecimal` for a DECIMAL first argument; any other call
// sees doubles in place of decimals, as the functions without DECIMAL support do.
// An integer past 2^53 (a BigInt) takes the exact path too and comes back an integer.
const exact = (f: ScalarFunction, onDecimal: (d: Decimal, a: unknown[]) => unknown): ScalarFunction => ({
  ...f,
  decimal: true,
  call: (a) => {
    const first = a[0];
    if (first instanceof Decimal) return onDecimal(first, a);
    if (typeof first === 'bigint') {
      const r = onDecimal(Decimal.fromInt(first), a);
      if (!(r instanceof Decimal) || r.scale !== 0) return r;
      return Number.isSafeInteger(Number(r.units)) ? Number(r.units) : r.units;
    }
    return f.call(a.map((v) => (v instanceof Decimal ? v.toNumber() : typeof v === 'bigint' ? Number(v) : v)));
  },
});

// ROUND and TRUNC to `digits` (negative: tens, hundreds…), exactly.
function toDigits(d: Decimal, digits: number, round: boolean): Decimal {
  const at = (x: Decimal, s: number) => (round ? x.rescale(s) : x.truncate(s));
  if (digits >= 0) return at(d, digits);
  const shifted = at(new Decimal(d.units, d.scale - digits), 0);
  return new Decimal(shifted.units * 10n ** BigInt(-digits), 0);
}

const digitsArg = (a: unknown[]): number | null => {
  if (a.length < 2) return 0;
  const n = a[1] instanceof Decimal ? a[1].toNumber() : num(a[1]);
  return n === null ? null : Math.trunc(n);
};

const onNumber = (f: (x: number) => number | null) => (a: unknown[]): unknown => {
  const x = num(a[0]);
  return x === null ? null : f(x);
};

// A loop, not / +$/: that regular expression backtracks quadratically over long runs of spaces.
function trimSpaces(s: string, left: boolean, right: boolean): string {
  let from = 0;
  let to = s.length;
  if (left) while (from < to && s.charCodeAt(from) === 32) from++;
  if (right) while (to > from && s.charCodeAt(to - 1) === 32) to--;
  return s.slice(from, to);
}

// TRIM(s, chars): any of the characters (code points) from either end, as DuckDB and PostgreSQL.
function trimChars(a: unknown[], left: boolean, right: boolean): string {
  const s = text(a[0]);
  if (a.length < 2) return trimSpaces(s, left, right);
  const set = new Set(text(a[1]));
  const cps = [...s];
  let from = 0;
  let to = cps.length;
  if (left) while (from < to && set.has(cps[from]!)) from++;
  if (right) while (to > from && set.has(cps[to - 1]!)) to--;
  return cps.slice(from, to).join('');
}

const MONTHS: Record<string, number> = { MONTH: 1, QUARTER: 3, YEAR: 12 };
const UNIT_MS: Record<string, number> = { MILLISECOND: 1, SECOND: 1_000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000, WEEK: 604_800_000 };

// TIMESTAMPDIFF(unit, a, b): whole units from a to b, toward zero (Flink, MySQL); months by the calendar.
function timestampDiff(unit: string, a: number, b: number): number {
  const per = MONTHS[unit];
  if (per === undefined) return Math.trunc((b - a) / UNIT_MS[unit]!) + 0;
  const x = new Date(a);
  const y = new Date(b);
  let months = (y.getUTCFullYear() - x.getUTCFullYear()) * 12 + (y.getUTCMonth() - x.getUTCMonth());
  // The last month counts only when complete: the rest of b's month must reach a's day and time.
  const restA = a - Date.UTC(x.getUTCFullYear(), x.getUTCMonth());
  const restB = b - Date.UTC(y.getUTCFullYear(), y.getUTCMonth());
  if (months > 0 && restB < restA) months--;
  if (months < 0 && restB > restA) months++;
  return Math.trunc(months / per) + 0;
}

function substring(a: unknown[]): string {
  const chars = [...text(a[0])];
  const start = Number(a[1]);
  const from = Math.max(start, 1) - 1;
  const end = a.length > 2 ? start - 1 + Number(a[2]) : chars.length;
  return chars.slice(from, Math.max(from, end)).join('');
}

// Numbers, big integers and decimals are one kind here.
const kindOf = (v: unknown): string => (typeof v === 'bigint' || v instanceof Decimal ? 'number' : typeof v);

// GREATEST/LEAST skip NULLs (DuckDB, PostgreSQL); values of different kinds have no order: NULL.
function extreme(a: unknown[], sign: 1 | -1): unknown {
  let best: unknown = null;
  for (const v of a) {
    if (v === null || v === undefined) continue;
    if (best === null) best = v;
    else if (kindOf(v) !== kindOf(best)) return null;
    else if (compareValues(v, best) * sign > 0) best = v;
  }
  // With a DECIMAL among the arguments the answer is a DECIMAL at their largest scale (DuckDB).
  const scale = Math.max(-1, ...a.map((v) => (v instanceof Decimal ? v.scale : -1)));
  const d = scale >= 0 ? exactDecimal(best) : undefined;
  return d ? d.rescale(Math.max(scale, d.scale)) : best;
}

const sameKind = (name: string) => (args: SqlType[]): TypeCheck => {
  const known = args.filter((t) => t !== 'any' && t !== 'null');
  const numeric = known.every(isNumeric);
  if (!numeric && new Set(known).size > 1) return { error: `${name} needs arguments of one kind, not ${[...new Set(known)].join(' and ')}` };
  return known.length === 0 ? 'any' : numeric ? (known.includes('double') ? 'double' : known[0] ?? 'any') : (known[0] ?? 'any');
};

const padArgs = (name: string) => (args: SqlType[]): TypeCheck =>
  surelyNotNumeric(args[1] ?? 'any') ? { error: `${name} needs a length` } : stringArgs(name, 'varchar')([args[0] ?? 'any', ...args.slice(2)]);

// LPAD/RPAD as PostgreSQL: to `n` characters, cutting a longer text; an empty fill leaves it as is.
function pad(a: unknown[], left: boolean): string | null {
  const n = num(a[1]);
  if (n === null) return null;
  const len = Math.max(0, Math.trunc(n));
  checkTextLength(len, left ? 'LPAD' : 'RPAD');
  const chars = [...text(a[0])];
  if (chars.length >= len) return chars.slice(0, len).join('');
  const fill = [...(a.length > 2 ? text(a[2]) : ' ')];
  if (fill.length === 0) return chars.join('');
  const need = len - chars.length;
  const padding = Array.from({ length: need }, (_, i) => fill[i % fill.length]).join('');
  return left ? padding + chars.join('') : chars.join('') + padding;
}

const truncUnits: Record<string, number> = { millisecond: 1, second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

function dateTrunc(unit: string, ms: number): number | null {
  const u = unit.toLowerCase();
  const step = truncUnits[u];
  if (step !== undefined) return Math.floor(ms / step) * step;
  const d = new Date(ms);
  if (u === 'week') {
    const day = Math.floor(ms / 86_400_000) * 86_400_000;
    return day - ((d.getUTCDay() + 6) % 7) * 86_400_000;
  }
  if (u === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  if (u === 'quarter') return Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1);
  if (u === 'year') return Date.UTC(d.getUTCFullYear(), 0, 1);
  return null;
}

function extract(field: string, ms: number): number | null {
  const d = new Date(ms);
  switch (field.toUpperCase()) {
    case 'YEAR': return d.getUTCFullYear();
    case 'QUARTER': return Math.floor(d.getUTCMonth() / 3) + 1;
    case 'MONTH': return d.getUTCMonth() + 1;
    case 'DAY': return d.getUTCDate();
    case 'HOUR': return d.getUTCHours();
    case 'MINUTE': return d.getUTCMinutes();
    case 'SECOND': return d.getUTCSeconds();
    case 'MILLISECOND': case 'MILLISECONDS': return d.getUTCSeconds() * 1000 + d.getUTCMilliseconds();
    case 'DOW': return d.getUTCDay();
    case 'DOY': return Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
    case 'EPOCH': return ms / 1000;
    default: return null;
  }
}

/** Fields EXTRACT accepts; checked at compile time. */
export const extractFields = ['YEAR', 'QUARTER', 'MONTH', 'DAY', 'HOUR', 'MINUTE', 'SECOND', 'MILLISECOND', 'MILLISECONDS', 'DOW', 'DOY', 'EPOCH'];
/** Units DATE_TRUNC accepts; checked at compile time when constant. */
export const truncUnitNames = [...Object.keys(truncUnits), 'week', 'month', 'quarter', 'year'];

export const builtinScalars: ScalarFunction[] = [
  fn('LOWER', 1, 1, stringArgs('LOWER', 'varchar'), (a) => text(a[0]).toLowerCase()),
  fn('UPPER', 1, 1, stringArgs('UPPER', 'varchar'), (a) => text(a[0]).toUpperCase()),
  fn('LENGTH', 1, 1, stringArgs('LENGTH', 'integer'), (a) => [...text(a[0])].length),
  fn('CHAR_LENGTH', 1, 1, stringArgs('CHAR_LENGTH', 'integer'), (a) => [...text(a[0])].length),
  fn('SUBSTRING', 2, 3, stringArgs('SUBSTRING', 'varchar'), (a) => substring(a)),
  // Decimals print with their scale (0.10 stays 0.10), as in DuckDB.
  { ...fn('CONCAT', 1, 64, () => 'varchar', (a) => {
    const parts = a.filter((v) => v !== null && v !== undefined).map(text);
    checkTextLength(parts.reduce((n, p) => n + p.length, 0), 'CONCAT');
    return parts.join('');
  }, true), decimal: true },
  // Spaces only, as DuckDB and PostgreSQL: tabs and newlines are data.
  fn('TRIM', 1, 2, stringArgs('TRIM', 'varchar'), (a) => trimChars(a, true, true)),
  fn('LTRIM', 1, 2, stringArgs('LTRIM', 'varchar'), (a) => trimChars(a, true, false)),
  fn('RTRIM', 1, 2, stringArgs('RTRIM', 'varchar'), (a) => trimChars(a, false, true)),
  fn('TIMESTAMPDIFF', 3, 3, () => 'integer', (a) => {
    const from = toEpochMs(a[1]);
    const to = toEpochMs(a[2]);
    return from === null || to === null ? null : timestampDiff(String(a[0]).toUpperCase(), from, to);
  }),
  fn('REPLACE', 3, 3, stringArgs('REPLACE', 'varchar'), (a) => {
    const from = text(a[1]);
    const subject = text(a[0]);
    // An empty search string matches nowhere (DuckDB, PostgreSQL), not between every character.
    if (from === '') return subject;
    const to = text(a[2]);
    const parts = subject.split(from);
    checkTextLength(subject.length + (parts.length - 1) * (to.length - from.length), 'REPLACE');
    return parts.join(to);
  }),
  fn('REPEAT', 2, 2, (args) => (surelyNotNumeric(args[1] ?? 'any') ? { error: 'REPEAT needs a count' } : stringArgs('REPEAT', 'varchar')(args.slice(0, 1))), (a) => {
    const s = text(a[0]);
    const n = num(a[1]);
    if (n === null) return null;
    const times = Math.max(0, Math.trunc(n));
    checkTextLength(s.length * times, 'REPEAT');
    return s.repeat(times);
  }),
  fn('LPAD', 2, 3, padArgs('LPAD'), (a) => pad(a, true)),
  fn('RPAD', 2, 3, padArgs('RPAD'), (a) => pad(a, false)),
  exact(fn('ABS', 1, 1, numericArgs('ABS', sameAsFirst), onNumber(Math.abs)), (d) => d.abs()),
  exact(fn('ROUND', 1, 2, numericArgs('ROUND', sameAsFirst), (a) => {
    const x = num(a[0]);
    return x === null ? null : roundHalfAway(x, a.length > 1 ? Number(a[1]) : 0);
  }), (d, a) => {
    const digits = digitsArg(a);
    return digits === null ? null : toDigits(d, digits, true);
  }),
  exact(fn('FLOOR', 1, 1, numericArgs('FLOOR', sameAsFirst), onNumber(Math.floor)), (d) => d.floor()),
  exact(fn('CEIL', 1, 1, numericArgs('CEIL', sameAsFirst), onNumber(Math.ceil)), (d) => d.ceil()),
  exact(fn('CEILING', 1, 1, numericArgs('CEILING', sameAsFirst), onNumber(Math.ceil)), (d) => d.ceil()),
  fn('SQRT', 1, 1, numericArgs('SQRT', () => 'double'), onNumber((x) => (x < 0 ? null : Math.sqrt(x)))),
  fn('POWER', 2, 2, numericArgs('POWER', () => 'double'), (a) => {
    const x = num(a[0]);
    const y = num(a[1]);
    return x === null || y === null ? null : x ** y;
  }),
  fn('POW', 2, 2, numericArgs('POW', () => 'double'), (a) => {
    const x = num(a[0]);
    const y = num(a[1]);
    return x === null || y === null ? null : x ** y;
  }),
  exact(fn('MOD', 2, 2, numericArgs('MOD', intOrAny), (a) => {
    const x = num(a[0]);
    const y = num(a[1]);
    return x === null || y === null || y === 0 ? null : x % y;
  }), (d, a) => {
    const y = exactDecimal(a[1]);
    if (y) return d.mod(y) ?? null;
    const q = num(a[1]);
    return q === null || q === 0 ? null : d.toNumber() % q;
  }),
  fn('DATE_TRUNC', 2, 2, (args) => (args[0] !== 'varchar' && args[0] !== 'any' ? { error: 'DATE_TRUNC needs a unit text first' } : 'timestamp'), (a) => {
    const ms = toEpochMs(a[1]);
    return ms === null ? null : dateTrunc(text(a[0]), ms);
  }),
  fn('EXTRACT', 2, 2, () => 'integer', (a) => {
    const ms = toEpochMs(a[1]);
    return ms === null ? null : extract(text(a[0]), ms);
  }),
  fn('SUBSTR', 2, 3, stringArgs('SUBSTR', 'varchar'), (a) => substring(a)),
  fn('CHARACTER_LENGTH', 1, 1, stringArgs('CHARACTER_LENGTH', 'integer'), (a) => [...text(a[0])].length),
  fn('LEFT', 2, 2, stringArgs('LEFT', 'varchar'), (a) => {
    const chars = [...text(a[0])];
    const n = num(a[1]);
    if (n === null) return null;
    return (n >= 0 ? chars.slice(0, Math.trunc(n)) : chars.slice(0, Math.max(0, chars.length + Math.trunc(n)))).join('');
  }),
  fn('RIGHT', 2, 2, stringArgs('RIGHT', 'varchar'), (a) => {
    const chars = [...text(a[0])];
    const n = num(a[1]);
    if (n === null) return null;
    const k = Math.trunc(n);
    return (k >= 0 ? chars.slice(Math.max(0, chars.length - k)) : chars.slice(Math.min(chars.length, -k))).join('');
  }),
  fn('STRPOS', 2, 2, stringArgs('STRPOS', 'integer'), (a) => {
    const s = text(a[0]);
    const at = s.indexOf(text(a[1]));
    // In characters, not UTF-16 units.
    return at < 0 ? 0 : [...s.slice(0, at)].length + 1;
  }),
  fn('REVERSE', 1, 1, stringArgs('REVERSE', 'varchar'), (a) => [...text(a[0])].reverse().join('')),
  { ...fn('CONCAT_WS', 2, 64, () => 'varchar', (a) => {
    if (a[0] === null || a[0] === undefined) return null;
    const parts = a.slice(1).filter((v) => v !== null && v !== undefined).map(text);
    const sep = text(a[0]);
    checkTextLength(parts.reduce((n, p) => n + p.length, 0) + sep.length * Math.max(0, parts.length - 1), 'CONCAT_WS');
    return parts.join(sep);
  }, true), decimal: true },
  fn('SPLIT_PART', 3, 3, stringArgs('SPLIT_PART', 'varchar'), (a) => {
    const n = num(a[2]);
    if (n === null) return null;
    const s = text(a[0]);
    const delim = text(a[1]);
    const parts = delim === '' ? [s] : s.split(delim);
    const i = Math.trunc(n);
    // 1-based; negative counts from the end (PostgreSQL 14, DuckDB); out of range is ''.
    const part = i > 0 ? parts[i - 1] : i < 0 ? parts[parts.length + i] : undefined;
    return part ?? '';
  }),
  { ...fn('GREATEST', 1, 64, sameKind('GREATEST'), (a) => extreme(a, 1), true), decimal: true },
  { ...fn('LEAST', 1, 64, sameKind('LEAST'), (a) => extreme(a, -1), true), decimal: true },
  { ...fn('IFNULL', 2, 2, sameAsFirst, (a) => a.find((v) => v !== null && v !== undefined) ?? null, true), decimal: true },
  exact(fn('SIGN', 1, 1, numericArgs('SIGN', () => 'integer'), onNumber((x) => Math.sign(x) + 0)), (d) => d.sign()),
  exact(fn('TRUNC', 1, 2, numericArgs('TRUNC', sameAsFirst), (a) => {
    const x = num(a[0]);
    if (x === null) return null;
    const d = a.length > 1 ? num(a[1]) : 0;
    if (d === null) return null;
    const f = 10 ** Math.trunc(d);
    return Math.trunc(x * f) / f + 0;
  }), (d, a) => {
    const digits = digitsArg(a);
    return digits === null ? null : toDigits(d, digits, false);
  }),
  // Outside the domain (LN of zero or less) NULL: JSON has no infinity or NaN to carry DuckDB's answers.
  fn('LN', 1, 1, numericArgs('LN', () => 'double'), onNumber((x) => (x > 0 ? Math.log(x) : null))),
  fn('EXP', 1, 1, numericArgs('EXP', () => 'double'), onNumber((x) => {
    const y = Math.exp(x);
    return Number.isFinite(y) ? y : null;
  })),
  { ...fn('COALESCE', 1, 64, (args) => args.find((t) => t !== 'null') ?? 'null', (a) => a.find((v) => v !== null && v !== undefined) ?? null, true), decimal: true },
  { ...fn('NULLIF', 2, 2, sameAsFirst, (a) => (a[0] === undefined || a[0] === a[1] || (kindOf(a[0]) === 'number' && kindOf(a[1]) === 'number' && compareNumeric(a[0], a[1]) === 0) ? null : a[0]), true), decimal: true },
];
