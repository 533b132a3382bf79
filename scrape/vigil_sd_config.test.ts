import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigDoc, ConfigError } from '../tsdb/config_reader.js';
import { discoveryConfigsToYaml, parseDiscoveryConfigs } from './discovery_config.js';

function parse(yaml: string) {
  const doc = ConfigDoc.parse(yaml, 'prometheus.yml');
  return parseDiscoveryConfigs(doc.root(), '', false);
}

function fails(yaml: string, message: RegExp): void {
  assert.throws(
    () => parse(yaml),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, message);
      return true;
    },
  );
}

test('vigil_sd_configs: role, namespaces and server; defaults to this server and every namespace', () => {
  const d = parse(
    'vigil_sd_configs:\n  - role: pod\n  - role: endpoints\n    namespaces:\n      names: [default, web]\n    server: http://cluster.example:9090/\n',
  );
  assert.deepEqual(d.vigilSdConfigs, [
    { role: 'pod', namespaces: [], server: '' },
    { role: 'endpoints', namespaces: ['default', 'web'], server: 'http://cluster.example:9090/' },
  ]);
  // Printed as written (defaults left out), and parsing the print gives the same blocks.
  const y = discoveryConfigsToYaml(d);
  assert.deepEqual(y.vigil_sd_configs, [{ role: 'pod' }, { role: 'endpoints', namespaces: { names: ['default', 'web'] }, server: 'http://cluster.example:9090/' }]);
  assert.equal(parse('').vigilSdConfigs?.length, 0);
});

test('vigil_sd_configs: bad roles, servers and fields are located errors', () => {
  fails('vigil_sd_configs:\n  - role: ingress\n', /prometheus\.yml:2:\d+: .*vigil_sd_configs\[0\]\.role: expected a role of node, pod, service, endpoints, received "ingress"/);
  fails('vigil_sd_configs:\n  - namespaces:\n      names: [a]\n', /vigil service discovery needs a role/);
  fails('vigil_sd_configs:\n  - role: node\n    server: cluster:9090\n', /server: expected an http or https URL with a host/);
  fails('vigil_sd_configs:\n  - role: node\n    selectors: []\n', /selectors/);
});
