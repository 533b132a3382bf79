import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c, crc32ieee } from './crc32.js';
import { DecBuf, DecodeError } from './decbuf.js';
import { EncBuf } from './encbuf.js';
import { VarintResult, getUvarint, getVarint, putUvarint, putVarint, uvarintSize } from './varint.js';

const ascii = (s: string) => new TextEncoder().encode(s);

test('crc32c matches the published check value and RFC 3720 vectors', () => {
  // "123456789" check value for CRC-32C, and iSCSI test vectors (32 zero bytes, 32 0xff bytes).
  assert.equal(crc32c(ascii('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  const inc = new Uint8Array(32);
  for (let i = 0; i < 32; i++) inc[i] = i;
  assert.equal(crc32c(inc), 0x46dd794e);
});

test('crc32ieee matches the published check value', () => {
  assert.equal(crc32ieee(ascii('123456789')), 0xcbf43926);
});

test('crc32c continued over pieces equals one pass, at every split and length', () => {
  const data = new Uint8Array(257);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
  // Bitwise reference implementation.
  const ref = (b: Uint8Array) => {
    let c = 0xffffffff;
    for (const x of b) {
      c ^= x;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
  };
  for (let n = 0; n < 40; n++) assert.equal(crc32c(data, 0, n), ref(data.subarray(0, n)));
  // Long inputs take the DataView path, also at an odd byte offset into a shared buffer.
  const big = new Uint8Array(5000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 17) & 0xff;
  for (const [s, e] of [[0, 5000], [3, 4999], [1, 300], [7, 263]] as const) assert.equal(crc32c(big, s, e), ref(big.subarray(s, e)));
  assert.equal(crc32c(big.subarray(5, 1200)), ref(big.subarray(5, 1200)));
  const whole = crc32c(data);
  assert.equal(whole, ref(data));
  for (const split of [1, 7, 8, 9, 100, 256]) assert.equal(crc32c(data, split, data.length, crc32c(data, 0, split)), whole);
});

test('uvarint and varint match Go encodings and round trip', () => {
  const buf = new Uint8Array(16);
  // Go: binary.PutUvarint(buf, 300) = [0xac 0x02]; PutVarint(-1) = [0x01]; PutVarint(-65) = [0x81 0x01].
  assert.deepEqual([...buf.subarray(0, putUvarint(buf, 0, 300))], [0xac, 0x02]);
  assert.deepEqual([...buf.subarray(0, putVarint(buf, 0, -1))], [0x01]);
  assert.deepEqual([...buf.subarray(0, putVarint(buf, 0, -65))], [0x81, 0x01]);
  const r = new VarintResult();
  const vals = [0, 1, 127, 128, 16383, 16384, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, 1700000000000, 2 ** 52 + 1];
  for (const v of vals) {
    const n = putUvarint(buf, 3, v);
    assert.equal(n - 3, uvarintSize(v));
    getUvarint(buf, 3, r);
    assert.equal(r.value, v);
    assert.equal(r.next, n);
    for (const s of [v, v === 0 ? 0 : -v, -v - 1]) {
      if (Math.abs(s) > 2 ** 51) continue;
      const m = putVarint(buf, 0, s);
      getVarint(buf, 0, r);
      assert.equal(r.value, s);
      assert.equal(r.next, m);
    }
  }
});

test('decbuf reads what encbuf wrote and reports truncation with the offset', () => {
  const e = new EncBuf(16);
  e.putByte(7);
  e.putBE16(0xbeef);
  e.putBE32(0xdeadbeef);
  e.putBE64(2 ** 40 + 3);
  e.putFloat64(-1.5);
  e.putUvarint(123456);
  e.putVarint(-98765);
  e.putUvarintStr('héllo ☃');
  e.putUvarintStr('x'.repeat(300));
  e.padTo(16);
  assert.equal(e.len % 16, 0);
  const d = new DecBuf(e.get(), 1000);
  assert.equal(d.byte(), 7);
  assert.equal(d.be16(), 0xbeef);
  assert.equal(d.be32(), 0xdeadbeef);
  assert.equal(d.be64(), 2 ** 40 + 3);
  assert.equal(new DataView(d.bytes(8).slice().buffer).getFloat64(0), -1.5);
  assert.equal(d.uvarint(), 123456);
  assert.equal(d.varint(), -98765);
  assert.equal(d.uvarintStr(), 'héllo ☃');
  assert.equal(d.uvarintStr(), 'x'.repeat(300));
  const t = new DecBuf(new Uint8Array([0x80, 0x80]), 50);
  assert.throws(() => t.uvarint(), (err: unknown) => err instanceof DecodeError && err.offset === 50);
  const u = new DecBuf(new Uint8Array([1, 2]), 10);
  u.byte();
  assert.throws(() => u.be32(), (err: unknown) => err instanceof DecodeError && err.offset === 11);
});
