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

/** Restored state or meta could not be read back. */
export class EngineStateError extends Error {
  override name = 'EngineStateError';
  readonly code = 'SG_ERR_QUERY_STATE' as const;
}
