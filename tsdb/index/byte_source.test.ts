import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileSource, MemorySource } from './byte_source.js';

test('paged file source returns the same bytes as memory for random ranges, across pages and evictions', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-bytes-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const data = new Uint8Array(10_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
  await writeFile(join(dir, 'f'), data);
  const mem = new MemorySource(data);
  const file = new FileSource(join(dir, 'f'), 256, 4);
  t.after(() => file.close());
  assert.equal(file.size, 10_000);
  let seed = 5;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let i = 0; i < 2000; i++) {
    const off = Math.floor(rnd() * 10_000);
    const len = Math.floor(rnd() * Math.min(700, 10_000 - off));
    assert.deepEqual(file.read(off, len), mem.read(off, len), `[${off}, +${len})`);
  }
  assert.throws(() => file.read(9_990, 20), RangeError);
  assert.throws(() => mem.read(-1, 2), RangeError);
});
