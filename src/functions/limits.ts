// Bounds on what one value may cost, so that one event or one group cannot exhaust the process.

/** The longest text a string function or `||` may build, in UTF-16 code units (1 Mi). */
export const maxTextLength = 1_048_576;

/** ARRAY_AGG keeps at most this many values per group; beyond it the query fails rather than truncating. */
export const arrayAggLimit = 10_000;

/** ARRAY_AGG keeps at most this many characters of text per group (values' text, JSON for objects). */
export const arrayAggTextLimit = 8 * 1_048_576;

/**
 * One event asked for a value beyond a bound (e.g. REPEAT('x', 1e9)): that event cannot be
 * processed, so it is dead-lettered like any other entry that fails every delivery.
 */
export class ValueLimitError extends RangeError {
  override name = 'ValueLimitError';
  readonly code = 'SG_ERR_VALUE_LIMIT' as const;
}

/**
 * One group outgrew a bound that more events only make worse (ARRAY_AGG values): the query
 * cannot go on and fails with this as its reason.
 */
export class GroupLimitError extends RangeError {
  override name = 'GroupLimitError';
  readonly code = 'SG_ERR_QUERY_LIMIT' as const;
}

/** Throws ValueLimitError when a text of `length` would be over maxTextLength. */
export function checkTextLength(length: number, what: string): void {
  if (length > maxTextLength) throw new ValueLimitError(`${what} would build a text of ${length} characters, over the limit of ${maxTextLength}`);
}
