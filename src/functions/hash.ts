// A 53-bit string hash (cyrb53) for sketches: deterministic across processes, unlike Math.random-seeded ones.

/** Hashes text to two 32-bit halves; together they carry 53 well-mixed bits. */
export function hash53(text: string): { hi: number; lo: number } {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return { hi: (h2 >>> 0) & 0x1fffff, lo: h1 >>> 0 };
}

/** Text that keeps the kind of a value, so 1 and '1' hash differently. */
export function typedText(v: unknown): string {
  return typeof v === 'string' ? `s${v}` : typeof v === 'number' ? `n${v}` : `j${JSON.stringify(v)}`;
}
