/**
 * `vigil check config`: output and exit codes, through `runCheckConfig`, through the
 * built CLI, and differentially against the real `promtool check config` (Prometheus
 * 2.42 from Debian): for every example configuration, Vigil's exit code must equal
 * promtool's, except for the files listed in PROMTOOL_242_SKIPS with the reason.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCheckConfig } from '../cmd/check_config.js';

const ROOT = process.env.VIGIL_REPO_ROOT ?? fileURLToPath(new URL('../../', import.meta.url));
const CONFIGS = join(ROOT, 'test/configs');
const VIGIL_BIN = join(ROOT, 'dist/cmd/vigil.js');
const PROMTOOL = '/usr/bin/promtool';

/**
 * Examples on which promtool 2.42 legitimately disagrees, because Vigil follows
 * Prometheus 3 (the reference). Never silently dropped: listed here with the reason.
 */
const PROMTOOL_242_SKIPS: Record<string, string> = {
  'valid/prometheus3_features.yml':
    'Prometheus 3 syntax: scrape_protocols, fallback_scrape_protocol, metric_name_* schemes and UTF-8 label names are unknown to 2.42',
  'invalid/alertmanager_api_v1.yml': 'Alertmanager api_version v1 was still accepted by 2.42; Prometheus 3 supports only v2',
  'invalid/remote_write_shards.yml': 'min_shards > max_shards is only rejected since Prometheus 2.45',
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function check(files: string[]): Promise<Run> {
  const out: string[] = [];
  const errs: string[] = [];
  const code = await runCheckConfig(files, { log: (s) => out.push(s), err: (s) => errs.push(s) });
  return { code, stdout: out.join('\n'), stderr: errs.join('\n') };
}

function exampleFiles(): string[] {
  const out: string[] = [];
  for (const kind of ['valid', 'invalid']) {
    for (const f of readdirSync(join(CONFIGS, kind)).sort()) if (f.endsWith('.yml')) out.push(`${kind}/${f}`);
  }
  return out;
}

let tmp = '';
/** Extra cases that need files set up around them (unreadable rule files, broken SD files, ...). */
const dynamic: { name: string; file: string; valid: boolean }[] = [];

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'vigil-check-config-'));
  const write = (rel: string, text: string): string => {
    const p = join(tmp, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
    return p;
  };
  write('rules/ok.yml', 'groups: []\n');
  mkdirSync(join(tmp, 'rules/dir.yml'));
  dynamic.push({ name: 'rule glob matching a directory', file: write('rule_dir.yml', "rule_files: ['rules/*.yml']\n"), valid: false });
  dynamic.push({ name: 'rule glob matching nothing', file: write('rule_none.yml', "rule_files: ['none/*.yml']\n"), valid: true });
  write('sd/bad.json', '{"targets": "not a list"');
  dynamic.push({
    name: 'malformed file_sd file',
    file: write('sd_bad.yml', "scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: ['sd/bad.json']\n"),
    valid: false,
  });
  dynamic.push({
    name: 'missing file_sd file (a warning only)',
    file: write('sd_missing.yml', "scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: ['sd/none.json']\n"),
    valid: true,
  });
  write('sd/extra.yml', "- targets: ['a:1']\n  hosts: [b]\n");
  dynamic.push({
    name: 'file_sd YAML with an unknown field',
    file: write('sd_extra.yml', "scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: ['sd/extra.yml']\n"),
    valid: false,
  });
  dynamic.push({
    name: 'missing credentials_file',
    file: write('creds.yml', 'scrape_configs:\n  - job_name: a\n    authorization:\n      credentials_file: secret/token\n'),
    valid: false,
  });
  dynamic.push({
    name: 'missing TLS client certificate',
    file: write('tls.yml', 'scrape_configs:\n  - job_name: a\n    tls_config:\n      cert_file: c.pem\n      key_file: k.pem\n'),
    valid: false,
  });
});

after(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

test('a valid configuration prints promtool-style success and exits 0', async () => {
  const file = join(CONFIGS, 'valid/prometheus.yml');
  const r = await check([file]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], `Checking ${file}`);
  assert.equal(lines[1], '  SUCCESS: 3 rule files found');
  assert.equal(lines[2], ` SUCCESS: ${file} is valid prometheus config file syntax`);
  assert.ok(lines.includes(`Checking ${join(CONFIGS, 'valid/rules/alerts.yml')}`));
  assert.equal(r.stderr, '');
});

test('an invalid configuration prints FAILED with file:line:column and field, and exits 1', async () => {
  const file = join(CONFIGS, 'invalid/scrape_timeout_too_long.yml');
  const r = await check([file]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout.split('\n')[0], `Checking ${file}`);
  assert.equal(r.stderr, `  FAILED: ${file}:13:5: scrape_configs[1].scrape_timeout (20s) is longer than scrape_interval (15s)`);
});

test('warnings are printed and do not fail the check', async () => {
  const r = await check([join(CONFIGS, 'valid/unimplemented_sd.yml')]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^ {2}WARNING: .*unimplemented_sd\.yml:5:5: scrape_configs\[0\]\.dns_sd_configs: is not implemented/m);
});

test('several files: exit 1 if any is invalid, every file is checked', async () => {
  const good = join(CONFIGS, 'valid/minimal.yml');
  const bad = join(CONFIGS, 'invalid/unknown_field.yml');
  const r = await check([bad, good]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /SUCCESS: .*minimal\.yml is valid/);
  assert.match(r.stderr, /unknown_field\.yml:5:5: scrape_configs\[0\]\.scrape_intervall: unknown field/);
  assert.equal((await check([good, good])).code, 0);
});

test('referenced files: unreadable rule files, broken or missing SD files, missing credentials', async () => {
  for (const d of dynamic) {
    const r = await check([d.file]);
    assert.equal(r.code, d.valid ? 0 : 1, `${d.name}: ${r.stdout}\n${r.stderr}`);
  }
  const dirCase = await check([dynamic[0]!.file]);
  assert.match(dirCase.stdout, /SUCCESS: 2 rule files found/);
  assert.match(dirCase.stderr, /rules\/dir\.yml: cannot read rule file: is a directory/);
  const missing = await check([join(CONFIGS, 'invalid/missing_rule_file.yml')]);
  assert.match(missing.stderr, /FAILED: "[^"]*does-not-exist\.yml" does not point to an existing file/);
  const sdMissing = await check([dynamic[3]!.file]);
  assert.match(sdMissing.stdout, /WARNING: file "[^"]*sd\/none\.json" for file_sd in scrape job "a" does not exist/);
});

test('a missing configuration file fails naming its path', async () => {
  const r = await check([join(tmp, 'nope.yml')]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `  FAILED: ${join(tmp, 'nope.yml')}: cannot read configuration file: no such file`);
});

test('the built CLI: vigil check config FILE exits as promtool', { skip: existsSync(VIGIL_BIN) ? false : `${VIGIL_BIN} not built` }, async () => {
  const ok = await run(process.execPath, [VIGIL_BIN, 'check', 'config', join(CONFIGS, 'valid/prometheus.yml')], ROOT);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /SUCCESS: .*prometheus\.yml is valid prometheus config file syntax/);
  const bad = await run(process.execPath, [VIGIL_BIN, 'check', 'config', join(CONFIGS, 'invalid/bad_regex.yml')], ROOT);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /bad_regex\.yml:9:16: scrape_configs\[0\]\.relabel_configs\[1\]\.regex: expected an RE2 regular expression/);
  // All valid examples in one call: exit 0.
  const valid = exampleFiles().filter((f) => f.startsWith('valid/'));
  const all = await run(process.execPath, [VIGIL_BIN, 'check', 'config', ...valid.map((f) => join(CONFIGS, f))], ROOT);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout.match(/is valid prometheus config file syntax/g)?.length, valid.length);
  // All invalid examples in one call: exit 1, one FAILED report per file.
  const invalid = exampleFiles().filter((f) => f.startsWith('invalid/'));
  const none = await run(process.execPath, [VIGIL_BIN, 'check', 'config', ...invalid.map((f) => join(CONFIGS, f))], ROOT);
  assert.equal(none.code, 1);
  assert.equal(none.stderr.match(/^ {2}FAILED: /gm)?.length, invalid.length, none.stderr);
  assert.equal(none.stdout.match(/is valid prometheus config file syntax/g), null);
  // No file at all is a usage error (exit 2), as for any command-line mistake.
  const usage = await run(process.execPath, [VIGIL_BIN, 'check', 'config'], ROOT);
  assert.equal(usage.code, 2);
});

test('differential: exit codes equal real promtool check config (2.42) on every example', async (t) => {
  assert.ok(existsSync(PROMTOOL), `${PROMTOOL} is missing: install the Debian package "prometheus" (npm test does this as root)`);
  const cases = [
    ...exampleFiles().map((f) => ({ name: f, file: join(CONFIGS, f), valid: f.startsWith('valid/') })),
    ...dynamic.map((d) => ({ name: d.name, file: d.file, valid: d.valid })),
  ];
  const compared: string[] = [];
  // A few promtool processes at a time.
  const queue = [...cases];
  const worker = async (): Promise<void> => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
      const skip = PROMTOOL_242_SKIPS[c.name];
      if (skip !== undefined) {
        t.diagnostic(`skipped ${c.name}: ${skip}`);
        continue;
      }
      const [mine, theirs] = await Promise.all([check([c.file]), run(PROMTOOL, ['check', 'config', c.file], ROOT)]);
      assert.equal(mine.code, theirs.code, `${c.name}: vigil exit ${mine.code}, promtool exit ${theirs.code}\nvigil: ${mine.stderr}\npromtool: ${theirs.stderr}`);
      // The examples themselves say what they are: valid ones pass, invalid ones fail.
      assert.equal(mine.code, c.valid ? 0 : 1, `${c.name}: ${mine.stderr}`);
      compared.push(c.name);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  assert.ok(compared.length >= 30, `compared only ${compared.length} files`);
  t.diagnostic(`compared ${compared.length} configurations with promtool; skipped ${Object.keys(PROMTOOL_242_SKIPS).length}`);
});

/**
 * Edge cases of test/configs/differential/edge_cases.txt on which promtool 2.42 and
 * Prometheus 3 (which Vigil follows) disagree.
 */
const EDGE_VERSION_DIFFERENCES: Record<string, string> = {
  body_size_ok: 'global body_size_limit exists since Prometheus 2.45',
  keep_dropped: 'keep_dropped_targets exists since Prometheus 2.47',
  src_label_bad: 'Prometheus 3 accepts UTF-8 label names such as "a-b"; 2.42 only the legacy charset',
  rw_backoff: 'Prometheus 3 rejects max_backoff < min_backoff; 2.42 did not validate the queue config',
  rw_capacity_zero: 'Prometheus 3 rejects a non-positive queue capacity; 2.42 did not validate the queue config',
};

function edgeCases(): { name: string; text: string }[] {
  const text = readFileSync(join(CONFIGS, 'differential/edge_cases.txt'), 'utf8');
  const cases: { name: string; text: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^# case: (\S+)$/.exec(line);
    if (m !== null) cases.push({ name: m[1]!, text: '' });
    else if (cases.length > 0) cases[cases.length - 1]!.text += `${line}\n`;
  }
  return cases;
}

test('differential: exit codes equal promtool 2.42 on the edge cases', async (t) => {
  assert.ok(existsSync(PROMTOOL), `${PROMTOOL} is missing: install the Debian package "prometheus"`);
  const dir = join(tmp, 'edge');
  mkdirSync(dir);
  const cases = edgeCases();
  assert.ok(cases.length >= 80, `only ${cases.length} edge cases parsed`);
  const queue = [...cases];
  const disagreements: string[] = [];
  let compared = 0;
  const worker = async (): Promise<void> => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
      const file = join(dir, `${c.name}.yml`);
      writeFileSync(file, c.text);
      const [mine, theirs] = await Promise.all([check([file]), run(PROMTOOL, ['check', 'config', file], dir)]);
      const reason = EDGE_VERSION_DIFFERENCES[c.name];
      if (reason !== undefined) {
        // Still run both: the listed difference must really be a difference, or the skip is stale.
        assert.notEqual(mine.code, theirs.code, `${c.name} is listed as a version difference but both exit ${mine.code}`);
        t.diagnostic(`skipped ${c.name}: ${reason}`);
        continue;
      }
      compared++;
      if (mine.code !== theirs.code) {
        disagreements.push(`${c.name}: vigil exit ${mine.code} (${mine.stderr.trim()}), promtool exit ${theirs.code} (${theirs.stderr.trim()})`);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  assert.deepEqual(disagreements, []);
  t.diagnostic(`edge cases: ${compared} agree with promtool, ${Object.keys(EDGE_VERSION_DIFFERENCES).length} are version differences`);
});

test('every skip in the differential names an existing example', () => {
  const files = new Set(exampleFiles());
  for (const name of Object.keys(PROMTOOL_242_SKIPS)) assert.ok(files.has(name), `${name} is listed as skipped but does not exist`);
  const edge = new Set(edgeCases().map((c) => c.name));
  for (const name of Object.keys(EDGE_VERSION_DIFFERENCES)) assert.ok(edge.has(name), `edge case ${name} is listed but does not exist`);
});
