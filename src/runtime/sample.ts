// The rows a query would produce over a sample of events: what POST /v1/queries/validate shows.
import { createEngine, EngineLimitError } from '../engine/index.js';
import type { Row } from '../engine/index.js';
import { FunctionError, type CompiledQuery } from '../sql/compile.js';
import { ValueLimitError } from '../functions/index.js';
import { readEventTime } from '../ingest/event-time.js';
import { readPath } from '../ingest/field-path.js';
import { AppError } from '../errors.js';
import { engineOptions, type QueryDefinition } from './query-definition.js';

export type SampleSettings = Pick<QueryDefinition, 'emit' | 'latenessMs' | 'idleTimeoutMs' | 'limits'>;

/** Runs the sample through a fresh engine; refusals are AppErrors (4xx) naming the event or the limit. */
export function runSample(compiled: CompiledQuery, settings: SampleSettings, events: unknown[], timeField = 'ts'): Row[] {
  const engine = createEngine(compiled.plan, engineOptions(settings));
  const input = events.map((e, i) => {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) {
      throw new AppError('SG_ERR_BAD_EVENTS', 'events must be JSON objects', { errors: [{ index: i, field: '', message: 'must be a JSON object' }] });
    }
    const t = readEventTime(readPath(e as Record<string, unknown>, timeField));
    // The sample follows ingest's rules: a time ingest would refuse is refused here too.
    if (!t.ok) throw new AppError('SG_ERR_BAD_EVENTS', `event ${i}: ${timeField} ${t.message}`, { errors: [{ index: i, field: `/${timeField.replace(/\./g, '/')}`, message: t.message }] });
    // Without a time, ingest uses the arrival time; a sample's events arrive in order, 1 ms apart.
    return { id: `0-${i + 1}`, ts: t.ms ?? i, data: e as Record<string, unknown> };
  });
  try {
    const result = engine.apply(input);
    return [...result.closed.map((c) => c.row), ...engine.rows().map((r) => r.row)];
  } catch (err) {
    if (err instanceof ValueLimitError) throw new AppError('SG_ERR_VALUE_LIMIT', err.message, { cause: err });
    if (err instanceof EngineLimitError) throw new AppError('SG_ERR_QUERY_LIMIT', err.message, { cause: err });
    if (err instanceof FunctionError) throw new AppError('SG_ERR_FUNCTION', err.message, { cause: err });
    throw err;
  }
}
