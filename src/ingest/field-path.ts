// Reads a dotted path (`payload.user.id`) out of an event.

/** The value at a dotted path, or undefined. Own properties only, so `__proto__` never resolves. */
export function readPath(event: Record<string, unknown>, path: string): unknown {
  let cur: unknown = event;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
