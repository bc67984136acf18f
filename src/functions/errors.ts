// Errors raised below both the compiler and the engine.

/** Thrown when a user function plugin is malformed or throws, so that only its query fails. */
export class FunctionError extends Error {
  override name = 'FunctionError';
  readonly code = 'SG_ERR_FUNCTION' as const;
  readonly functionName: string;

  constructor(functionName: string, message: string, options?: { cause?: unknown }) {
    super(`function ${functionName}: ${message}`, options);
    this.functionName = functionName;
  }
}

/** Restored state or meta could not be read back. */
export class EngineStateError extends Error {
  override name = 'EngineStateError';
  readonly code = 'SG_ERR_QUERY_STATE' as const;
}
