// Bodies whose events depend on the stream's configuration (CSV typed by its schema, Protobuf
// decoded with its registered .proto): the body parser checks what it can without the config and
// the ingest handler finishes the job once it knows the stream.
import { AppError, type FieldError } from '../../errors.js';
import type { StreamConfig } from '../../streams/stream-config.js';
import type { StreamRegistry } from '../../streams/stream-registry.js';

export class DeferredEvents {
  constructor(
    /** Events in the body, known before decoding (for quotas and limits). */
    readonly count: number,
    private readonly decodeWith: (config: StreamConfig) => unknown[],
    /** The line each event starts on (CSV): problems then name the line, not only the index. */
    private readonly lines?: number[],
  ) {}

  async events(registry: StreamRegistry, stream: string): Promise<unknown[]> {
    // A stream that does not exist yet decodes as its first write would create it.
    const config = registry.cached(stream) ?? (await registry.get(stream)) ?? registry.provisional(stream);
    return this.decodeWith(config);
  }

  /** The same error, its event problems naming the line too. */
  withLines(err: unknown): unknown {
    if (!this.lines || !(err instanceof AppError) || !err.extra.errors) return err;
    const errors: FieldError[] = err.extra.errors.map((e) => {
      const line = e.index === undefined || e.line !== undefined ? undefined : this.lines![e.index];
      return line === undefined ? e : { ...e, line, message: `line ${line}: ${e.message}` };
    });
    return new AppError(err.code, err.message, { ...err.extra, errors });
  }
}
