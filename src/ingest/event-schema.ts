// Compiles a stream's JSON Schema for events; a bad schema is the user's error, not ours.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { RE2JS } from 're2js';
import { AppError } from '../errors.js';
import { fitsDecimal, parseSqlType, SQL_TYPE_KEYWORD } from '../streams/declared-types.js';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
type AddFormats = (ajv: Ajv2020) => unknown;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

// `pattern` (and patternProperties) run on RE2: linear in the text, so a schema's pattern cannot be
// a ReDoS however it is written (an admin's typo must not stall ingest for everyone).
function re2Engine(pattern: string, flags: string): { source: string; flags: string; test: (s: string) => boolean; toString: () => string } {
  const re = RE2JS.compile(pattern);
  // Ajv keys its pattern cache by source and text: without them every pattern shares one entry.
  return { source: pattern, flags, test: (s: string) => re.matcher(s).find(), toString: () => `/${pattern}/${flags}` };
}
re2Engine.code = 're2';

const ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true, code: { regExp: re2Engine } });
addFormats(ajv);
// A declared SQL type is checked on the way in: a value queries would have to round is refused.
ajv.addKeyword({
  keyword: SQL_TYPE_KEYWORD,
  schemaType: 'string',
  errors: true,
  validate: function fits(this: unknown, declared: string, value: unknown): boolean {
    const type = parseSqlType(declared);
    if (value === null || value === undefined || type === undefined || fitsDecimal(value, type)) return true;
    (fits as unknown as { errors: unknown[] }).errors = [{ keyword: SQL_TYPE_KEYWORD, message: `must be a number or numeric text that fits ${declared} exactly`, params: {} }];
    return false;
  },
});

/** Compiles a JSON Schema; throws SG_ERR_BAD_SCHEMA naming what is wrong. */
export function compileEventSchema(schema: Record<string, unknown>): ValidateFunction {
  try {
    // $id would make Ajv keep the schema by id and refuse a second compile of an updated version.
    const { $id: _id, ...rest } = schema;
    return ajv.compile(rest);
  } catch (err) {
    throw new AppError('SG_ERR_BAD_SCHEMA', `schema is not a valid JSON Schema: ${(err as Error).message}`, {
      errors: [{ field: '/schema', message: (err as Error).message }],
      cause: err,
    });
  }
}
