// INTERVAL text ('1 minute', '90 seconds', '1.5 second', '1:30 MINUTE TO SECOND') → milliseconds;
// months and years vary, so refused.

const unitMs: Record<string, number> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

// The standard's field ranges: the text's parts, most significant first, as `D H:M:S` with the
// parts from the leading to the trailing field (the seconds may have a fraction).
const RANGE = /^\s*(\S+(?:\s+\S+)?)\s+(DAY|HOUR|MINUTE)\s+TO\s+(HOUR|MINUTE|SECOND)\s*$/i;
const FIELDS = ['day', 'hour', 'minute', 'second'] as const;
const RANGE_TEXT: Record<string, RegExp> = {
  'day-hour': /^(\d+) (\d+)$/,
  'day-minute': /^(\d+) (\d+):(\d+)$/,
  'day-second': /^(\d+) (\d+):(\d+):(\d+(?:\.\d+)?)$/,
  'hour-minute': /^(\d+):(\d+)$/,
  'hour-second': /^(\d+):(\d+):(\d+(?:\.\d+)?)$/,
  'minute-second': /^(\d+):(\d+(?:\.\d+)?)$/,
};

/** `'1:30' MINUTE TO SECOND` and the other field ranges: milliseconds, or undefined. */
function parseRange(text: string): number | undefined {
  const m = RANGE.exec(text);
  if (m === null) return undefined;
  const from = FIELDS.indexOf(m[2]!.toLowerCase() as (typeof FIELDS)[number]);
  const to = FIELDS.indexOf(m[3]!.toLowerCase() as (typeof FIELDS)[number]);
  const parts = RANGE_TEXT[`${FIELDS[from]}-${FIELDS[to]}`]?.exec(m[1]!.replace(/\s+/, ' '));
  if (!parts) return undefined;
  let ms = 0;
  for (let i = from; i <= to; i++) {
    const value = Number(parts[i - from + 1]);
    // Below the leading field each part has its clock range, as in the standard.
    if (i > from && value >= (i === 1 ? 24 : 60)) return undefined;
    ms += value * unitMs[FIELDS[i]!]!;
  }
  ms = Math.round(ms);
  return ms > 0 ? ms : undefined;
}

/** Milliseconds of an interval text, or undefined when the unit is unknown or the length is not positive. */
export function parseInterval(text: string): number | undefined {
  if (/\sTO\s/i.test(text)) return parseRange(text);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$/.exec(text);
  if (m === null) return undefined;
  const unit = unitMs[(m[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const ms = Math.round(Number(m[1]) * unit);
  return ms > 0 ? ms : undefined;
}
