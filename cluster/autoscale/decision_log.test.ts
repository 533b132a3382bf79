import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertEntry, DecisionLog } from './decision_log.js';

const entry = (ns: string, d: string, t: number) => alertEntry(t, { namespace: ns, deployment: d, alert: 'A', action: `scale deployment/${ns}/${d} +1`, result: 'ok', detail: `#${t}` });

test('decision log: a bounded ring per Deployment, oldest first', () => {
  const log = new DecisionLog({ perTarget: 3 });
  for (let t = 1; t <= 5; t++) log.add(entry('ns', 'web', t));
  assert.deepEqual(
    log.list('ns', 'web').map((e) => e.timeMs),
    [3, 4, 5],
  );
  assert.deepEqual(log.list('ns', 'other'), []);
});

test('decision log: the least recently written Deployment goes first when too many are tracked', () => {
  const log = new DecisionLog({ perTarget: 2, maxTargets: 2 });
  log.add(entry('ns', 'a', 1));
  log.add(entry('ns', 'b', 2));
  log.add(entry('ns', 'a', 3)); // a is now the most recent
  log.add(entry('ns', 'c', 4)); // evicts b
  assert.equal(log.targets(), 2);
  assert.deepEqual(log.list('ns', 'b'), []);
  assert.deepEqual(
    log.list('ns', 'a').map((e) => e.timeMs),
    [1, 3],
  );
});
