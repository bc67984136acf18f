// Every error code the API answers with, its HTTP status and title: one catalogue, stable codes.

export const ERRORS = {
  SG_ERR_VALIDATION: { status: 400, title: 'Request validation failed' },
  SG_ERR_BAD_EVENTS: { status: 400, title: 'Events rejected' },
  SG_ERR_MALFORMED_BODY: { status: 400, title: 'Malformed request body' },
  SG_ERR_PROTOTYPE_POISONING: { status: 400, title: 'Forbidden property in JSON body' },
  SG_ERR_BAD_SCHEMA: { status: 400, title: 'Invalid JSON Schema' },
  SG_ERR_SQL: { status: 400, title: 'Query refused' },
  SG_ERR_UNAUTHORIZED: { status: 401, title: 'Missing or invalid API key' },
  SG_ERR_FORBIDDEN: { status: 403, title: 'API key lacks the required scope' },
  SG_ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  SG_ERR_STREAM_NOT_FOUND: { status: 404, title: 'Stream not found' },
  SG_ERR_QUERY_NOT_FOUND: { status: 404, title: 'Query not found' },
  SG_ERR_STREAM_FORBIDDEN: { status: 403, title: 'API key not granted this stream' },
  SG_ERR_ORIGIN_FORBIDDEN: { status: 403, title: 'Origin not allowed' },
  SG_ERR_HOST_FORBIDDEN: { status: 403, title: 'Host not allowed while auth is off' },
  SG_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  SG_ERR_REQUEST_TIMEOUT: { status: 408, title: 'Request timeout' },
  SG_ERR_CONFLICT: { status: 409, title: 'Conflict' },
  SG_ERR_BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  SG_ERR_TOO_MANY_EVENTS: { status: 413, title: 'Too many events in one request' },
  SG_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  SG_ERR_IDEMPOTENCY_MISMATCH: { status: 422, title: 'Idempotency-Key reused with a different body' },
  SG_ERR_VALUE_LIMIT: { status: 422, title: 'A value would exceed its size limit' },
  SG_ERR_QUERY_LIMIT: { status: 422, title: 'The query exceeds one of its limits' },
  SG_ERR_FUNCTION: { status: 422, title: 'A user function failed' },
  SG_ERR_VALIDATE_BUDGET: { status: 422, title: 'The validate sample exceeded its time or memory budget' },
  SG_ERR_UPGRADE_REQUIRED: { status: 426, title: 'WebSocket upgrade required' },
  SG_ERR_RATE_LIMITED: { status: 429, title: 'Rate limit exceeded' },
  SG_ERR_QUOTA_EXCEEDED: { status: 429, title: 'A quota of this API key is used up' },
  SG_ERR_TOO_MANY_SUBSCRIPTIONS: { status: 429, title: 'Too many subscriptions for this API key' },
  SG_ERR_INTERNAL: { status: 500, title: 'Internal error' },
  SG_ERR_REDIS_UNAVAILABLE: { status: 503, title: 'Redis is unavailable' },
  SG_ERR_OVERLOADED: { status: 503, title: 'Overloaded' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** One problem detail entry: which event (index) and which field went wrong. */
export interface FieldError {
  index?: number;
  field: string;
  message: string;
  /** SQL refusals: the stable SQL error code and where in the text. */
  code?: string;
  line?: number;
  column?: number;
}

/** An error that the API answers with as problem+json. */
export class AppError extends Error {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: ErrorCode,
    detail: string,
    readonly extra: { errors?: FieldError[]; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(detail, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.status = ERRORS[code].status;
    this.title = ERRORS[code].title;
  }
}

/** RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
}

export function toProblem(err: AppError, instance?: string): Problem {
  const p: Problem = {
    type: `https://streamgate.dev/errors/${err.code.toLowerCase().replace(/^sg_err_/, '').replace(/_/g, '-')}`,
    title: err.title,
    status: err.status,
    code: err.code,
    detail: err.message,
  };
  if (instance) p.instance = instance;
  if (err.extra.errors?.length) p.errors = err.extra.errors;
  return p;
}
