// Compiles a stream's JSON Schema for events; a bad schema is the user's error, not ours.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { AppError } from '../errors.js';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
type AddFormats = (ajv: Ajv2020) => unknown;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

const ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true });
addFormats(ajv);

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
