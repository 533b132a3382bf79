import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { PortAllocator, PortRangeError, parsePortRange, portEnvName } from './ports.js';

test('parsePortRange accepts LOW-HIGH and rejects anything else saying what was expected', () => {
  assert.deepEqual(parsePortRange('30000-32767'), { low: 30000, high: 32767 });
  for (const bad of ['30000', '5-1', '0-10', '1-70000', 'a-b', ''])
    assert.throws(() => parsePortRange(bad), (e: unknown) => e instanceof PortRangeError && e.message.includes(`"${bad}"`) && e.message.includes('LOW-HIGH'));
});

// Ports below Linux's ephemeral range (32768+), so outgoing connections of other tests never hold them.
test('port allocator skips ports in use on the machine and reserved ones, round-robin, and says when the range is exhausted', async (t) => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(21101, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => busy.close(() => r())));
  const a = new PortAllocator(21100, 21103);
  a.reserve(21102);
  assert.equal(await a.allocate(), 21100);
  assert.equal(await a.allocate(), 21103); // 21101 busy, 21102 reserved
  a.release(21100);
  await assert.rejects(a.allocate().then(() => a.allocate()), (e: unknown) => e instanceof PortRangeError && /no free port in 21100-21103/.test(e.message));
  assert.equal(portEnvName('http-alt'), 'PORT_HTTP_ALT');
});
