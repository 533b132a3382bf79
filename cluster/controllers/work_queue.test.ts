import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkQueue } from './work_queue.js';

test('work queue deduplicates queued keys and never hands out a key twice at once', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.length, 2);
  const k = await q.get();
  assert.equal(k, 'a');
  // Added while in process: held back until done, then queued once.
  q.add('a');
  q.add('a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.length, 0);
  q.done('a');
  assert.equal(q.length, 1);
  assert.equal(await q.get(), 'a');
  q.done('a');
  q.done('b');
  assert.equal(q.length, 0);
});

test('work queue backoff doubles per failure up to the cap and resets on forget', () => {
  const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50 });
  const delays = [q.addRateLimited('k'), q.addRateLimited('k'), q.addRateLimited('k'), q.addRateLimited('k')];
  assert.deepEqual(delays, [10, 20, 40, 50]);
  assert.equal(q.numRequeues('k'), 4);
  q.forget('k');
  assert.equal(q.numRequeues('k'), 0);
  q.shutDown();
});

test('work queue: a waiting get() receives the next key; shutDown releases waiters with null and drops later adds', async () => {
  const q = new WorkQueue();
  const waiting = q.get();
  q.add('x');
  assert.equal(await waiting, 'x');
  const w2 = q.get();
  q.shutDown();
  assert.equal(await w2, null);
  q.add('y');
  assert.equal(q.length, 0);
  assert.equal(q.isShutDown(), true);
});

test('work queue addAfter delivers the key after the delay; a sooner delay replaces a later one', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const q = new WorkQueue();
  q.addAfter('later', 1000);
  assert.equal(q.length, 0);
  t.mock.timers.tick(999);
  assert.equal(q.length, 0);
  t.mock.timers.tick(1);
  assert.equal(q.length, 1);
  await q.get();
  q.done('later');
  q.addAfter('k', 5000);
  q.addAfter('k', 100);
  q.addAfter('k', 3000);
  t.mock.timers.tick(100);
  assert.equal(q.length, 1, 'the sooner delay won');
  q.shutDown();
});
