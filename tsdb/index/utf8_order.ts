/**
 * Go orders strings by their UTF-8 bytes; JavaScript by UTF-16 code units. The two
 * agree except where a surrogate pair (U+10000 and up) meets a code unit in
 * U+E000–U+FFFF. The index format requires Go's order for symbols and postings
 * (Prometheus's reader binary-searches them), so index code compares with this.
 */

const HIGH = /[\ud800-\uffff]/;

/** Compares `a` and `b` in UTF-8 byte order: negative, zero or positive. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  // When either string has no code unit >= U+D800, the first difference involves a
  // unit below it, where UTF-16 and UTF-8 order agree: the native comparison is right.
  if (!HIGH.test(a) || !HIGH.test(b)) return a < b ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates encode code points above U+FFFF, whose UTF-8 sorts after U+E000–U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
      y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}
