// Exact DECIMAL values: an integer count of units of 10^-scale, as SQL engines store DECIMAL(p, s).
// BigInt carries the digits, so + - * and comparisons are exact at any size; `/` is a double (as
// in DuckDB). Values that leave the engine print as a JSON number when that number reads back as
// the same decimal, else as text (JSON numbers are doubles).

const TEXT = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/;
const pow10 = (n: number): bigint => 10n ** BigInt(n);

export class Decimal {
  constructor(
    /** The value times 10^scale. */
    readonly units: bigint,
    /** Digits after the point. */
    readonly scale: number,
  ) {}

  /** Parses `[+-]digits[.digits]` (no exponent); undefined when the text is not one. */
  static parse(text: string): Decimal | undefined {
    const m = TEXT.exec(text);
    if (!m) return undefined;
    const [, sign = '', int = '', frac = ''] = m;
    if (int === '' && frac === '') return undefined;
    const units = BigInt(`${int || '0'}${frac}`);
    return new Decimal(sign === '-' ? -units : units, frac.length);
  }

  /** A number as the decimal it prints as (its shortest round-trip text); undefined for NaN/Infinity. */
  static fromNumber(n: number): Decimal | undefined {
    if (!Number.isFinite(n)) return undefined;
    if (Number.isInteger(n) && Number.isSafeInteger(n)) return new Decimal(BigInt(n), 0);
    const text = String(n);
    if (!/e/i.test(text)) return Decimal.parse(text);
    // 1e-7 and 1.5e+21: the exponent moves the point.
    const [mant = '', exp = '0'] = text.toLowerCase().split('e');
    const d = Decimal.parse(mant)!;
    const e = Number(exp);
    return e >= 0 ? new Decimal(d.units * pow10(Math.max(0, e - d.scale)), Math.max(0, d.scale - e)) : new Decimal(d.units, d.scale - e);
  }

  static fromInt(n: number | bigint): Decimal {
    return new Decimal(BigInt(n), 0);
  }

  /** The same value with `scale` digits after the point, rounding half away from zero. */
  rescale(scale: number): Decimal {
    if (scale === this.scale) return this;
    if (scale > this.scale) return new Decimal(this.units * pow10(scale - this.scale), scale);
    const f = pow10(this.scale - scale);
    const q = this.units / f;
    const r = this.units % f;
    const away = (r < 0n ? -r : r) * 2n >= f;
    return new Decimal(away ? q + (this.units < 0n ? -1n : 1n) : q, scale);
  }

  /** Toward zero at `scale` digits. */
  truncate(scale: number): Decimal {
    return scale >= this.scale ? this.rescale(scale) : new Decimal(this.units / pow10(this.scale - scale), scale);
  }

  floor(): Decimal {
    const t = this.truncate(0);
    return this.units < 0n && t.rescale(this.scale).units !== this.units ? new Decimal(t.units - 1n, 0) : t;
  }

  ceil(): Decimal {
    const t = this.truncate(0);
    return this.units > 0n && t.rescale(this.scale).units !== this.units ? new Decimal(t.units + 1n, 0) : t;
  }

  add(o: Decimal): Decimal {
    const s = Math.max(this.scale, o.scale);
    return new Decimal(this.rescale(s).units + o.rescale(s).units, s);
  }

  sub(o: Decimal): Decimal {
    return this.add(o.neg());
  }

  mul(o: Decimal): Decimal {
    return new Decimal(this.units * o.units, this.scale + o.scale);
  }

  /** The remainder with the dividend's sign (SQL `%`); undefined for a zero divisor. */
  mod(o: Decimal): Decimal | undefined {
    const s = Math.max(this.scale, o.scale);
    const b = o.rescale(s).units;
    return b === 0n ? undefined : new Decimal(this.rescale(s).units % b, s);
  }

  neg(): Decimal {
    return new Decimal(-this.units, this.scale);
  }

  abs(): Decimal {
    return this.units < 0n ? this.neg() : this;
  }

  sign(): number {
    return this.units > 0n ? 1 : this.units < 0n ? -1 : 0;
  }

  compare(o: Decimal): number {
    const s = Math.max(this.scale, o.scale);
    const a = this.rescale(s).units;
    const b = o.rescale(s).units;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** Digits in all (DECIMAL precision), at least 1. */
  get precision(): number {
    const digits = (this.units < 0n ? -this.units : this.units).toString().length;
    return Math.max(digits, this.scale + 1);
  }

  toNumber(): number {
    return Number(this.toString());
  }

  /** `Number(d)` and other implicit conversions see the nearest double. */
  valueOf(): number {
    return this.toNumber();
  }

  /** Text with exactly `scale` digits after the point (`0.10` stays `0.10`, as DuckDB prints it). */
  toString(): string {
    const neg = this.units < 0n;
    const digits = (neg ? -this.units : this.units).toString().padStart(this.scale + 1, '0');
    const int = digits.slice(0, digits.length - this.scale);
    const frac = this.scale > 0 ? `.${digits.slice(digits.length - this.scale)}` : '';
    return `${neg ? '-' : ''}${int}${frac}`;
  }

  /** How rows carry it: a JSON number when that reads back as this value, else its text. */
  toJSON(): number | string {
    const n = this.toNumber();
    const back = Decimal.fromNumber(n);
    return back !== undefined && back.compare(this) === 0 ? n : this.toString();
  }
}

/** A value read as a decimal when it is exact: a Decimal, an integer number or a bigint. */
export function exactDecimal(v: unknown): Decimal | undefined {
  if (v instanceof Decimal) return v;
  if (typeof v === 'bigint') return Decimal.fromInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return Decimal.fromInt(v);
  return undefined;
}

// Decimals and big integers inside stored state (group keys, MIN/MAX, DISTINCT values): JSON has
// neither, so they are tagged and come back as what they were.
export function storedValue(v: unknown): unknown {
  if (v instanceof Decimal) return { $dec: v.toString() };
  if (typeof v === 'bigint') return { $big: v.toString() };
  return v;
}

export function fromStoredValue(j: unknown): unknown {
  if (j !== null && typeof j === 'object' && !Array.isArray(j)) {
    const o = j as { $dec?: unknown; $big?: unknown };
    if (typeof o.$dec === 'string' && Object.keys(o).length === 1) return Decimal.parse(o.$dec) ?? null;
    if (typeof o.$big === 'string' && Object.keys(o).length === 1) return BigInt(o.$big);
  }
  return j;
}
