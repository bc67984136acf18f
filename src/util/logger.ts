// The logging surface the engine side needs; pino and Fastify's logger both fit it.

type LogFn = (obj: unknown, msg?: string) => void;

export interface Log {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  debug: LogFn;
}
