// SQL LIKE in linear time: a pattern is literal runs between '%', each found leftmost in turn, so a
// hostile pattern (or a 400 KB value) costs O(text × ⌈segment / 32⌉), never backtracking.

// `_` in a compiled segment; code points are never negative.
const ONE = -1;

interface CompiledLike {
  /**
   * Without '%', one segment that must match the whole text; else the anchored prefix, the
   * non-empty middle segments, and the anchored suffix ('a%b_c%' → ['a', 'b_c', '']).
   */
  segments: number[][];
  /** No '_': every segment is literal, so plain string search works on UTF-16 text as it is. */
  literal: string[] | undefined;
  /** Per middle segment with '_': its shift-and bit masks. */
  masks: (Bitap | undefined)[];
}

interface Bitap {
  words: number;
  byCode: Map<number, Uint32Array>;
  /** Bits of the '_' positions: what any character matches. */
  other: Uint32Array;
  lastBit: number;
}

function compile(pattern: string, escape: number | undefined): CompiledLike {
  const raw: number[][] = [[]];
  const cps = Array.from(pattern, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < cps.length; i++) {
    let c = cps[i] as number;
    if (c === escape && i + 1 < cps.length) c = cps[++i] as number;
    else if (c === 0x25 /* % */) {
      raw.push([]);
      continue;
    } else if (c === 0x5f /* _ */) c = ONE;
    (raw[raw.length - 1] as number[]).push(c);
  }
  const segments = raw.length === 1 ? raw : [raw[0] as number[], ...raw.slice(1, -1).filter((s) => s.length > 0), raw[raw.length - 1] as number[]];
  const hasOne = segments.some((s) => s.includes(ONE));
  const literal = hasOne ? undefined : segments.map((s) => String.fromCodePoint(...s));
  const masks = segments.map((s, i) => (hasOne && i > 0 && i < segments.length - 1 ? bitap(s) : undefined));
  return { segments, literal, masks };
}

function bitap(seg: number[]): Bitap {
  const words = Math.ceil(seg.length / 32);
  const other = new Uint32Array(words);
  const byCode = new Map<number, Uint32Array>();
  seg.forEach((c, i) => {
    if (c === ONE) other[i >>> 5] = ((other[i >>> 5] as number) | (1 << (i & 31))) >>> 0;
  });
  seg.forEach((c, i) => {
    if (c === ONE) return;
    let m = byCode.get(c);
    if (m === undefined) byCode.set(c, (m = Uint32Array.from(other)));
    m[i >>> 5] = ((m[i >>> 5] as number) | (1 << (i & 31))) >>> 0;
  });
  return { words, byCode, other, lastBit: 1 << ((seg.length - 1) & 31) };
}

/** Leftmost start of `b`'s segment in text[from, to), by shift-and over ⌈m / 32⌉ words; -1 when absent. */
function search(b: Bitap, m: number, text: Uint32Array, from: number, to: number): number {
  const d = new Uint32Array(b.words);
  const last = b.words - 1;
  for (let i = from; i < to; i++) {
    const mask = b.byCode.get(text[i] as number) ?? b.other;
    let carry = 1;
    for (let w = 0; w <= last; w++) {
      const v = d[w] as number;
      d[w] = (((v << 1) | carry) & (mask[w] as number)) >>> 0;
      carry = v >>> 31;
    }
    if (((d[last] as number) & b.lastBit) !== 0) return i - m + 1;
  }
  return -1;
}

function matchesAt(seg: number[], text: Uint32Array, at: number): boolean {
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as number;
    if (c !== ONE && c !== text[at + i]) return false;
  }
  return true;
}

function matchLiteral(p: CompiledLike, lit: string[], text: string): boolean {
  const first = lit[0] as string;
  if (p.segments.length === 1) return text === first;
  const lastSeg = lit[lit.length - 1] as string;
  const end = text.length - lastSeg.length;
  if (end < first.length || !text.startsWith(first) || !text.endsWith(lastSeg)) return false;
  let pos = first.length;
  for (let i = 1; i < lit.length - 1; i++) {
    const seg = lit[i] as string;
    const at = text.indexOf(seg, pos);
    if (at < 0 || at + seg.length > end) return false;
    pos = at + seg.length;
  }
  return true;
}

function matchCodes(p: CompiledLike, text: Uint32Array): boolean {
  const segs = p.segments;
  const first = segs[0] as number[];
  if (segs.length === 1) return text.length === first.length && matchesAt(first, text, 0);
  const lastSeg = segs[segs.length - 1] as number[];
  const end = text.length - lastSeg.length;
  if (end < first.length || !matchesAt(first, text, 0) || !matchesAt(lastSeg, text, end)) return false;
  let pos = first.length;
  for (let i = 1; i < segs.length - 1; i++) {
    const seg = segs[i] as number[];
    const at = search(p.masks[i] as Bitap, seg.length, text, pos, end);
    if (at < 0) return false;
    pos = at + seg.length;
  }
  return true;
}

const codePoints = (s: string): Uint32Array => {
  const out = new Uint32Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i) as number;
    out[n++] = c;
    if (c > 0xffff) i++;
  }
  return n === s.length ? out : out.subarray(0, n);
};

// Patterns are nearly always constants: compile each once, in a small bounded cache.
const cache = new Map<string, CompiledLike>();

/**
 * True when `text` matches the LIKE `pattern` (% any run, _ one character); `escape` (one
 * character, '' for none; backslash by default, as PostgreSQL) makes the next character literal.
 */
export function likeMatch(text: string, pattern: string, caseInsensitive: boolean, escape = '\\'): boolean {
  const pat = caseInsensitive ? pattern.toLowerCase() : pattern;
  if (caseInsensitive) escape = escape.toLowerCase();
  const cacheKey = escape === '\\' ? pat : `${escape}\u0000${pat}`;
  let p = cache.get(cacheKey);
  if (p === undefined) {
    if (cache.size >= 256) cache.clear();
    cache.set(cacheKey, (p = compile(pat, escape === '' ? undefined : escape.codePointAt(0))));
  }
  const t = caseInsensitive ? text.toLowerCase() : text;
  return p.literal !== undefined ? matchLiteral(p, p.literal, t) : matchCodes(p, codePoints(t));
}
