/**
 * Byte-level UTF-8 helpers for the exposition parsers: strict validation (as Go's
 * `utf8.Valid`: no overlong forms, no surrogates, nothing above U+10FFFF) and decoding of
 * byte ranges into strings with the cheapest path for ASCII.
 */
import type { Buffer } from 'node:buffer';

/** Whether `b[start, end)` is well-formed UTF-8. */
export function isValidUtf8(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf) {
      if (i + 1 >= end || (b[i + 1]! & 0xc0) !== 0x80) return false;
      i += 2;
      continue;
    }
    if (c >= 0xe0 && c <= 0xef) {
      if (i + 2 >= end) return false;
      const c1 = b[i + 1]!;
      if ((c1 & 0xc0) !== 0x80 || (b[i + 2]! & 0xc0) !== 0x80) return false;
      if (c === 0xe0 && c1 < 0xa0) return false; // overlong
      if (c === 0xed && c1 >= 0xa0) return false; // surrogate
      i += 3;
      continue;
    }
    if (c >= 0xf0 && c <= 0xf4) {
      if (i + 3 >= end) return false;
      const c1 = b[i + 1]!;
      if ((c1 & 0xc0) !== 0x80 || (b[i + 2]! & 0xc0) !== 0x80 || (b[i + 3]! & 0xc0) !== 0x80) return false;
      if (c === 0xf0 && c1 < 0x90) return false; // overlong
      if (c === 0xf4 && c1 >= 0x90) return false; // above U+10FFFF
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}

/** Short ASCII strings are built in JS (cheaper than a native call); longer ones use Buffer's decoders. */
const SHORT = 16;

/**
 * Decodes `b[start, end)` (`b` is a Buffer view of the body); `ascii` promises every byte is
 * below 0x80 (the caller knows it from scanning), which allows a byte-per-char decode.
 * Non-ASCII input must already be valid UTF-8.
 */
export function decodeRange(b: Buffer, start: number, end: number, ascii: boolean): string {
  if (ascii) {
    if (end - start <= SHORT) {
      let s = '';
      for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
      return s;
    }
    return b.toString('latin1', start, end);
  }
  return b.toString('utf8', start, end);
}

// A small direct-mapped cache of recently decoded ASCII strings, shared by all parsers.
// Metric names, label names and most label values repeat from line to line and from
// scrape to scrape; answering them from here saves an allocation per label. Bounded:
// INTERN_SLOTS strings of at most INTERN_MAX_LEN chars.
const INTERN_SLOTS = 8192;
const INTERN_MAX_LEN = 96;
const internKeys: string[] = new Array<string>(INTERN_SLOTS).fill('');
const internHashes = new Int32Array(INTERN_SLOTS);

/**
 * Like `decodeRange(b, start, end, true)` for ASCII bytes, but returns a cached string when
 * the same bytes were decoded recently (verified byte by byte, never by hash alone).
 */
export function internAscii(b: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len > INTERN_MAX_LEN) return b.toString('latin1', start, end);
  // The slot hash samples at most 12 bytes (the ends and a spread of the middle); the full
  // comparison below keeps it exact, so a weak hash only costs the occasional cache miss.
  let h = 0x811c9dc5 ^ len;
  if (len <= 12) {
    for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  } else {
    const step = (len - 8) >> 2;
    for (let i = start; i < start + 4; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    for (let i = start + 4 + step; i < end - 4; i += step) h = Math.imul(h ^ b[i]!, 0x01000193);
    for (let i = end - 4; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  }
  const slot = (h ^ (h >>> 13)) & (INTERN_SLOTS - 1);
  const k = internKeys[slot]!;
  if (internHashes[slot] === h && k.length === len) {
    let j = 0;
    while (j < len && k.charCodeAt(j) === b[start + j]) j++;
    if (j === len) return k;
  }
  const s = decodeRange(b, start, end, true);
  internKeys[slot] = s;
  internHashes[slot] = h;
  return s;
}
