import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CommandIo } from '../../cmd/cli.js';
import { main } from '../../cmd/vigil.js';
import { ctlCommand, runCtl } from './ctl_command.js';
import { type CtlTestServer, startCtlTestServer } from './ctl_test_server.js';

let s: CtlTestServer;
before(async () => {
  s = await startCtlTestServer();
});
after(() => s.close());

function capture(): { io: CommandIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { log: (x) => out.push(x), err: (x) => err.push(x) }, out, err };
}

test('ctlCommand runs through the vigil command registry with long flags', async () => {
  const c = capture();
  const code = await main(['ctl', 'create', 'namespace', 'reg', `--server=${s.url}`], c.io, [ctlCommand]);
  assert.equal(code, 0, c.err.join('\n'));
  assert.deepEqual(c.out, ['namespace/reg created']);
  const g = capture();
  assert.equal(await main(['ctl', 'get', 'namespaces', 'reg', '--output', 'name', '--server', s.url], g.io, [ctlCommand]), 0);
  assert.deepEqual(g.out, ['namespace/reg']);
  const e = capture();
  assert.equal(await main(['ctl', 'get', 'pods', '--namespace', 'reg', '--server', s.url], e.io, [ctlCommand]), 0);
  assert.deepEqual(e.err, ['No resources found in reg namespace.']);
});

test('an unreachable server is reported like kubectl, exit 1', async () => {
  const c = capture();
  const code = await runCtl(['get', 'pods', '--server=http://127.0.0.1:1'], c.io, { env: { VIGIL_CONFIG: `${s.dir}/none` } });
  assert.equal(code, 1);
  assert.deepEqual(c.err, ['The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?']);
});

test('--help lists the verbs; no verb is a usage error', async () => {
  const c = capture();
  assert.equal(await runCtl(['--help'], c.io, { env: {} }), 0);
  assert.match(c.out.join('\n'), /\n {2}rollout {2,}Manage a Deployment rollout/);
  const n = capture();
  assert.equal(await runCtl([], n.io, { env: {} }), 2);
});
