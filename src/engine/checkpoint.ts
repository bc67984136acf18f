// The engine's meta and snapshot texts: what a checkpoint stores besides the per-group entries.
import { EngineStateError } from './errors.js';

/** Watermark and idle bookkeeping; infinities are stored as null (JSON has none). */
export interface EngineMeta {
  maxTs: number;
  wm: number;
  lastActivity: number | null;
  sawEvents: boolean;
  /** Idle past the idle timeout: a partition that holds no query watermark back. */
  idle: boolean;
  /** Partial engines: windows ending at or before this are sealed (closed for the whole query). */
  sealed: number;
  /** The merging partition: windows ending at or before this have had their final rows emitted. */
  finalized: number;
}

interface StoredMeta {
  v: 1;
  maxTs: number | null;
  wm: number | null;
  lastActivity: number | null;
  sawEvents: boolean;
  idle?: boolean;
  sealed?: number | null;
  finalized?: number | null;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The meta string written with every delta. */
export function encodeMeta(m: EngineMeta): string {
  const stored: StoredMeta = { v: 1, maxTs: finite(m.maxTs), wm: finite(m.wm), lastActivity: m.lastActivity, sawEvents: m.sawEvents };
  // Only when set, so single-partition metas keep their shape.
  if (m.idle) stored.idle = true;
  if (Number.isFinite(m.sealed)) stored.sealed = m.sealed;
  if (Number.isFinite(m.finalized)) stored.finalized = m.finalized;
  return JSON.stringify(stored);
}

/** Reads a meta string back; throws EngineStateError when it is not one. */
export function decodeMeta(text: string): EngineMeta {
  let m: StoredMeta;
  try {
    m = JSON.parse(text) as StoredMeta;
  } catch (err) {
    throw new EngineStateError('engine meta is not valid JSON', { cause: err });
  }
  if (m === null || typeof m !== 'object' || m.v !== 1) throw new EngineStateError('engine meta has an unknown version');
  return {
    maxTs: m.maxTs ?? -Infinity,
    wm: m.wm ?? -Infinity,
    lastActivity: m.lastActivity ?? null,
    sawEvents: m.sawEvents === true,
    idle: m.idle === true,
    sealed: m.sealed ?? -Infinity,
    finalized: m.finalized ?? -Infinity,
  };
}

/** A whole-state snapshot: every group entry plus the meta. */
export function encodeSnapshot(entries: Record<string, string>, meta: string): string {
  return JSON.stringify({ entries, meta });
}

/** Reads a snapshot back into entries and meta. */
export function decodeSnapshot(s: string): { entries: Record<string, string>; meta: string } {
  let parsed: { entries?: unknown; meta?: unknown };
  try {
    parsed = JSON.parse(s) as { entries?: unknown; meta?: unknown };
  } catch (err) {
    throw new EngineStateError('snapshot is not valid JSON', { cause: err });
  }
  if (typeof parsed.entries !== 'object' || parsed.entries === null || typeof parsed.meta !== 'string') {
    throw new EngineStateError('snapshot lacks entries or meta');
  }
  return { entries: parsed.entries as Record<string, string>, meta: parsed.meta };
}
