/**
 * ULIDs name blocks: 48 bits of millisecond time and 80 random bits, written as
 * 26 Crockford base-32 characters, so block directories sort by creation time.
 * Prometheus (oklog/ulid) uses the same text form; it refuses directories whose
 * name does not parse, which is why `isULID` is strict.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const VALID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** A new ULID for time `nowMs` (defaults to the wall clock) with fresh randomness. */
export function newULID(nowMs: number = Date.now(), random: Uint8Array = randomBytes(10)): string {
  if (!Number.isInteger(nowMs) || nowMs < 0 || nowMs >= 2 ** 48) throw new RangeError(`ULID time ${nowMs} is outside 0..2^48-1`);
  let out = '';
  let t = nowMs;
  const time: string[] = new Array(10);
  for (let i = 9; i >= 0; i--) {
    time[i] = ALPHABET[t % 32]!;
    t = Math.floor(t / 32);
  }
  out = time.join('');
  // 80 random bits → 16 characters, 5 bits each, most significant first.
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | random[i]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31]!;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** Whether `s` is a canonical ULID string (as a block directory name must be). */
export function isULID(s: string): boolean {
  return VALID.test(s);
}

/** The millisecond timestamp encoded in a ULID. */
export function ulidTime(id: string): number {
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + ALPHABET.indexOf(id[i]!);
  return t;
}
