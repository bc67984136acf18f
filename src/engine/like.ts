// SQL LIKE matching without regular expressions, so a hostile pattern cannot cause catastrophic backtracking.

/** True when `text` matches the LIKE `pattern` (% any run, _ one character, \ escapes). */
export function likeMatch(text: string, pattern: string, caseInsensitive: boolean): boolean {
  const t = caseInsensitive ? [...text.toLowerCase()] : [...text];
  const tokens: { c: string; kind: 'lit' | 'one' | 'any' }[] = [];
  const p = caseInsensitive ? [...pattern.toLowerCase()] : [...pattern];
  for (let i = 0; i < p.length; i++) {
    const c = p[i] ?? '';
    if (c === '\\' && i + 1 < p.length) tokens.push({ c: p[++i] ?? '', kind: 'lit' });
    else tokens.push({ c, kind: c === '%' ? 'any' : c === '_' ? 'one' : 'lit' });
  }
  // Greedy two-pointer match with a single backtrack point: O(len(text) · len(pattern)) at worst.
  let ti = 0;
  let pi = 0;
  let starP = -1;
  let starT = 0;
  while (ti < t.length) {
    const tok = tokens[pi];
    if (tok !== undefined && (tok.kind === 'one' || (tok.kind === 'lit' && tok.c === t[ti]))) {
      ti++;
      pi++;
    } else if (tok?.kind === 'any') {
      starP = pi++;
      starT = ti;
    } else if (starP >= 0) {
      pi = starP + 1;
      ti = ++starT;
    } else return false;
  }
  while (tokens[pi]?.kind === 'any') pi++;
  return pi === tokens.length;
}
