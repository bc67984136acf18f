// SQL types a stream's schema declares for its top-level fields (`"x-sql-type": "DECIMAL(12, 2)"`
// on a property): ingest refuses a value that does not fit, and queries read the field as that
// exact type instead of a JSON number (a double). Only DECIMAL today: money is what users sum.
import { AppError } from '../errors.js';
import { Decimal } from '../functions/index.js';

export interface DecimalType {
  precision: number;
  scale: number;
}

/** Declared DECIMAL fields by name, as stored in a query definition. */
export type DeclaredDecimals = Record<string, DecimalType>;

export const SQL_TYPE_KEYWORD = 'x-sql-type';

const DECIMAL_TYPE = /^\s*DECIMAL\s*\(\s*(\d{1,2})\s*(?:,\s*(\d{1,2})\s*)?\)\s*$/i;

/** Parses a declared type; undefined when it is not one we support. */
export function parseSqlType(text: unknown): DecimalType | undefined {
  if (typeof text !== 'string') return undefined;
  const m = DECIMAL_TYPE.exec(text);
  if (!m) return undefined;
  const precision = Number(m[1]);
  const scale = Number(m[2] ?? 0);
  return precision >= 1 && precision <= 38 && scale <= precision ? { precision, scale } : undefined;
}

/**
 * The declared DECIMAL fields of a schema's top-level properties; throws SG_ERR_BAD_SCHEMA naming
 * the property when a declaration is not a supported type.
 */
export function declaredDecimals(schema: Record<string, unknown> | undefined): DeclaredDecimals | undefined {
  const props = schema?.properties;
  if (props === null || typeof props !== 'object') return undefined;
  const out: DeclaredDecimals = {};
  for (const [name, prop] of Object.entries(props as Record<string, unknown>)) {
    if (prop === null || typeof prop !== 'object' || !(SQL_TYPE_KEYWORD in prop)) continue;
    const declared = (prop as Record<string, unknown>)[SQL_TYPE_KEYWORD];
    const type = parseSqlType(declared);
    if (!type) {
      const field = `/schema/properties/${name.replaceAll('~', '~0').replaceAll('/', '~1')}/${SQL_TYPE_KEYWORD}`;
      throw new AppError('SG_ERR_BAD_SCHEMA', `${SQL_TYPE_KEYWORD} of "${name}" is ${JSON.stringify(declared)}; supported: "DECIMAL(p, s)" with 1 <= p <= 38 and 0 <= s <= p`, {
        errors: [{ field, message: 'must be "DECIMAL(p, s)"' }],
      });
    }
    out[name] = type;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Whether a JSON value is a decimal that fits the type exactly: a number (by its shortest text) or
 * numeric text, with at most `scale` digits after the point (trailing zeros aside) and at most
 * `precision - scale` before it. Rounding money on the way in would be a silent wrong answer.
 */
export function fitsDecimal(value: unknown, type: DecimalType): boolean {
  const d = typeof value === 'number' ? Decimal.fromNumber(value) : typeof value === 'string' ? Decimal.parse(value) : undefined;
  if (!d) return false;
  const at = d.rescale(type.scale);
  if (at.compare(d) !== 0) return false;
  const magnitude = at.units < 0n ? -at.units : at.units;
  return magnitude < 10n ** BigInt(type.precision);
}
