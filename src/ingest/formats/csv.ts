// text/csv bodies: a header row names the fields, each further row is one event. Values are typed
// by the stream's JSON Schema when it declares the field, else inferred; problems name the line.
import { parse, CsvError } from 'csv-parse/sync';
import { AppError, type FieldError } from '../../errors.js';
import type { BodyLimits } from '../../http/parse-body.js';
import { SQL_TYPE_KEYWORD } from '../../streams/declared-types.js';
import type { StreamConfig } from '../../streams/stream-config.js';
import { DeferredEvents } from './deferred.js';

/** A cell that was quoted: text for inference ("007" stays "007"), typed only by a schema. */
class Quoted {
  constructor(readonly text: string) {}
}
type Cell = string | Quoted;

const MAX_REPORTED = 20;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
// Inference is stricter than a declared number: "007" or "+1" is more likely an identifier.
const PLAIN_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const BOOLEAN = /^(?:true|false)$/i;

/** Parses the CSV text now (shape, limits, line numbers); types the values once the stream is known. */
export function parseCsv(text: string, limits: BodyLimits): DeferredEvents {
  let parsed: { record: string[]; info: { lines: number }; raw: string }[];
  try {
    // Not csv-parse's `cast`: it builds a context object per field (10x slower). Quoting and start
    // lines are read back from each record's raw text and values instead.
    parsed = parse(text, {
      bom: true,
      skip_empty_lines: true,
      // Mixed line ends (a file edited on two systems) are still one record per line.
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      info: true,
      raw: true,
      // Parsing stops just past the limit: a huge body is not read whole to be refused.
      ...(Number.isFinite(limits.maxItems) ? { to: limits.maxItems + 2 } : {}),
    }) as unknown as typeof parsed; // with `info` and `raw`, records come wrapped
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      throw new AppError('SG_ERR_MALFORMED_BODY', `the body is not valid CSV: ${err.message}; nothing was written`, { errors: [{ field: '', message: err.message, ...(line ? { line } : {}) }] });
    }
    throw err;
  }
  const records: Cell[][] = [];
  const lines: number[] = [];
  for (const { record, info, raw } of parsed) {
    records.push(raw.includes('"') ? markQuoted(record, raw) : record);
    // info.lines is where the record ends; newlines inside its quoted values say where it began.
    lines.push(info.lines - record.reduce((n, v) => n + newlines(v), 0));
  }
  const header = records[0];
  if (!header) throw new AppError('SG_ERR_MALFORMED_BODY', 'the CSV body is empty: send a header row, then one row per event');
  const names = header.map(textOf);
  checkHeader(names);
  const rows = records.slice(1);
  const rowLines = lines.slice(1);
  if (rows.length > limits.maxItems) throw new AppError('SG_ERR_TOO_MANY_EVENTS', `more than ${limits.maxItems} events in one request; nothing was written`);
  if (rows.length === 0) throw new AppError('SG_ERR_MALFORMED_BODY', 'the CSV body has a header row but no events');
  const errors: FieldError[] = [];
  let bad = 0;
  rows.forEach((row, index) => {
    if (row.length === names.length) return;
    bad++;
    if (errors.length < MAX_REPORTED) errors.push({ index, line: rowLines[index]!, field: '', message: `line ${rowLines[index]}: ${row.length} field(s), the header has ${names.length}` });
  });
  if (bad > 0) throw new AppError('SG_ERR_MALFORMED_BODY', `${bad} CSV row(s) do not match the header; nothing was written`, { errors });
  return new DeferredEvents(rows.length, (config) => toEvents(names, rows, rowLines, config), rowLines);
}

const textOf = (c: Cell) => (typeof c === 'string' ? c : c.text);

function newlines(v: string): number {
  if (v.indexOf('\n') < 0 && v.indexOf('\r') < 0) return 0;
  return v.split(/\r\n|\r|\n/).length - 1;
}

/** The record with its quoted cells marked, found by walking its raw text (already valid CSV). */
function markQuoted(record: string[], raw: string): Cell[] {
  const cells: Cell[] = record.slice();
  let i = 0;
  // The raw text may start with the blank lines skipped before the record.
  while (raw[i] === '\n' || raw[i] === '\r') i++;
  for (let field = 0; field < cells.length && i < raw.length; field++) {
    if (raw[i] === '"') {
      cells[field] = new Quoted(record[field]!);
      for (i++; i < raw.length; i++) {
        if (raw[i] !== '"') continue;
        if (raw[i + 1] === '"') i++;
        else break;
      }
    }
    while (i < raw.length && raw[i] !== ',') i++;
    i++;
  }
  return cells;
}

function checkHeader(names: string[]): void {
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    if (name === '__proto__') throw new AppError('SG_ERR_PROTOTYPE_POISONING', 'the CSV header names a forbidden "__proto__" field', { errors: [{ line: 1, field: '', message: `column ${i + 1} is "__proto__"` }] });
    const problem = name === '' ? `column ${i + 1} has no name` : seen.has(name) ? `column ${i + 1} repeats "${name}"` : undefined;
    if (problem) throw new AppError('SG_ERR_MALFORMED_BODY', `the CSV header row is not usable: ${problem}; nothing was written`, { errors: [{ line: 1, field: '', message: problem }] });
    seen.add(name);
  }
}

type Convert = (cell: Cell, report: (message: string) => void) => unknown;

function toEvents(names: string[], rows: Cell[][], rowLines: number[], config: StreamConfig): unknown[] {
  const props = (config.schema?.properties ?? {}) as Record<string, unknown>;
  const converters = names.map((name) => converterFor(Object.hasOwn(props, name) ? props[name] : undefined));
  const errors: FieldError[] = [];
  let bad = 0;
  const events = rows.map((row, index) => {
    const event: Record<string, unknown> = {};
    let rowBad = false;
    for (let c = 0; c < names.length; c++) {
      const cell = row[c]!;
      if (cell === '') continue; // an empty, unquoted cell is a missing field
      const v = converters[c]!(cell, (message) => {
        rowBad = true;
        if (errors.length < MAX_REPORTED) errors.push({ index, line: rowLines[index]!, field: `/${names[c]!.replaceAll('~', '~0').replaceAll('/', '~1')}`, message: `line ${rowLines[index]}: ${message}` });
      });
      event[names[c]!] = v;
    }
    if (rowBad) bad++;
    return event;
  });
  if (bad > 0) throw new AppError('SG_ERR_BAD_EVENTS', `${bad} of ${rows.length} event(s) rejected; nothing was written`, { errors });
  return events;
}

/** How a column's text becomes a value: by the property's declared type, else by inference. */
function converterFor(prop: unknown): Convert {
  if (prop === null || typeof prop !== 'object') return infer;
  const p = prop as Record<string, unknown>;
  // An exact decimal stays the text it was sent as: a double would round it.
  if (p[SQL_TYPE_KEYWORD] !== undefined) return textOf;
  const types = typeof p.type === 'string' ? [p.type] : Array.isArray(p.type) ? (p.type as unknown[]) : [];
  if (types.length === 0) return infer;
  return (cell, report) => {
    const text = textOf(cell);
    if ((types.includes('integer') || types.includes('number')) && NUMBER.test(text.trim())) {
      const n = Number(text);
      if (INTEGER.test(text.trim()) && !Number.isSafeInteger(n)) {
        report(`${text} is beyond ±2^53 and would lose precision; declare the field "x-sql-type": "DECIMAL(38, 0)" or a string`);
        return text;
      }
      if (Number.isFinite(n) && (types.includes('number') || Number.isInteger(n))) return n;
    }
    if (types.includes('boolean') && BOOLEAN.test(text)) return text.toLowerCase() === 'true';
    // Anything else is left as text: the schema check names the event, line and field.
    return text;
  };
}

function infer(cell: Cell): unknown {
  if (typeof cell !== 'string') return cell.text;
  if (PLAIN_NUMBER.test(cell)) {
    const n = Number(cell);
    // Digits a double cannot hold exactly stay text rather than be silently rounded.
    if (Number.isFinite(n) && (!/^-?\d+$/.test(cell) || Number.isSafeInteger(n))) return n;
    return cell;
  }
  if (cell === 'true' || cell === 'false') return cell === 'true';
  return cell;
}
