// What one API key may reach: streams by name pattern, the queries it created, and queries by name
// or id pattern. An admin key, and every caller while auth is off, reaches everything.
import type { ApiKey } from '../config.js';
import { AppError } from '../errors.js';

/** The fields of a query definition that decide who sees it. */
export interface OwnedQuery {
  id: string;
  name: string;
  /** The label of the key that created it; absent when it was created with auth off. */
  ownerKey?: string;
}

function matcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.includes('*')) return () => true;
  if (patterns.length === 0) return () => false;
  // Patterns hold only name characters and `*` (checked at start-up): `.` is the only one to escape.
  const re = new RegExp(`^(?:${patterns.map((p) => p.replace(/\./g, '\\.').replace(/\*/g, '.*')).join('|')})$`);
  return (name) => re.test(name);
}

export class Grants {
  /** Auth off: one caller, who reaches everything and owns nothing by name. */
  static readonly everything = new Grants(undefined, true, ['*'], ['*']);

  private readonly streamMatches: (name: string) => boolean;
  private readonly queryMatches: (name: string) => boolean;

  private constructor(
    /** The key's label, stamped on the queries it creates; undefined with auth off. */
    readonly owner: string | undefined,
    readonly admin: boolean,
    streams: readonly string[],
    queries: readonly string[],
  ) {
    this.streamMatches = admin ? () => true : matcher(streams);
    this.queryMatches = admin ? () => true : matcher(queries);
  }

  static of(key: ApiKey): Grants {
    return new Grants(key.label, key.scopes.has('admin'), key.streams, key.queries);
  }

  stream(name: string): boolean {
    return this.streamMatches(name);
  }

  /** 403 naming the stream when this key is not granted it (ingest, stream reads, SQL FROM). */
  requireStream(name: string): void {
    if (!this.streamMatches(name)) {
      throw new AppError('SG_ERR_STREAM_FORBIDDEN', `this API key is not granted stream "${name}" (its "streams" patterns in API_KEYS)`);
    }
  }

  /** Whether the key sees a query: its own, one its patterns name (by name or id), or any as admin. */
  query(def: OwnedQuery): boolean {
    return (this.owner !== undefined && def.ownerKey === this.owner) || this.queryMatches(def.name) || this.queryMatches(def.id);
  }
}
