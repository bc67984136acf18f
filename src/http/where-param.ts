// The `where` row filter, one name and one syntax for pull results and live subscriptions.
import { AppError } from '../errors.js';
import { parseFilter, type RowFilter } from '../runtime/row-filter.js';

/**
 * `where`, else the older name `filter` (still accepted on live subscriptions); a 400 naming
 * the parameter when it is malformed.
 */
export function parseWhere(text: string | undefined, field = 'querystring.where'): RowFilter {
  try {
    return parseFilter(text);
  } catch (err) {
    throw new AppError('SG_ERR_VALIDATION', `${field.replace(/^querystring\./, '')}: ${(err as Error).message}`, { errors: [{ field, message: (err as Error).message }] });
  }
}
