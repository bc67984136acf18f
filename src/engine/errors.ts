// Engine run-time errors the runtime turns into a failed query status.

/** A per-query limit (groups, state size, ARRAY_AGG length) was exceeded. */
export class EngineLimitError extends Error {
  override name = 'EngineLimitError';
  readonly code = 'SG_ERR_QUERY_LIMIT' as const;
}

/** The engine was created with options the plan cannot honour. */
export class EngineConfigError extends Error {
  override name = 'EngineConfigError';
  readonly code = 'SG_ERR_QUERY_CONFIG' as const;
}

// Thrown by the functions' state readers too, so it lives with them.
export { EngineStateError } from '../functions/index.js';
