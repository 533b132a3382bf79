import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { detectIsolation, enterCgroup, limitsOf, readCgroup, sampleProcessGroups } from './resources.js';

test('detectIsolation: cgroup2 only with the cpu and memory controllers and a writable hierarchy', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-cg-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.equal(detectIsolation(join(root, 'missing')), 'process-group');
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset io pids\n');
  assert.equal(detectIsolation(root), 'process-group');
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  writeFileSync(join(root, 'cgroup.subtree_control'), '');
  assert.equal(detectIsolation(root), 'cgroup2');
  assert.equal(readFileSync(join(root, 'vigil', 'cgroup.subtree_control'), 'utf8'), '+cpu +memory');
  // This machine: whichever it is, it is one of the two (the agent logs which at start).
  assert.ok(['cgroup2', 'process-group'].includes(detectIsolation()));
});

test('limitsOf and enterCgroup: cpu.max as quota/period, memory.max in bytes, pid into cgroup.procs; readCgroup parses the stat files', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-cg-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const limits = limitsOf({ limits: { cpu: '500m', memory: '64Mi' } });
  assert.deepEqual(limits, { cpuCores: 0.5, memoryBytes: 64 * 1024 * 1024 });
  assert.deepEqual(limitsOf(undefined), { cpuCores: undefined, memoryBytes: undefined });
  const dir = enterCgroup(root, 'uid_c', 4242, limits);
  assert.equal(readFileSync(join(dir, 'cpu.max'), 'utf8'), '50000 100000');
  assert.equal(readFileSync(join(dir, 'memory.max'), 'utf8'), String(64 * 1024 * 1024));
  assert.equal(readFileSync(join(dir, 'cgroup.procs'), 'utf8'), '4242');
  writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 2500000\nuser_usec 2000000\n');
  writeFileSync(join(dir, 'memory.current'), '1048576\n');
  writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
  assert.deepEqual(readCgroup(dir), { cpuSeconds: 2.5, memoryBytes: 1048576, oomKills: 1 });
  mkdirSync(join(root, 'gone'));
  assert.deepEqual(readCgroup(join(root, 'gone')), { cpuSeconds: 0, memoryBytes: 0, oomKills: 0 });
});

test('sampleProcessGroups sums RSS and CPU over every process of a group', async (t) => {
  // A group of two node processes, each holding ~40 MiB.
  const hold = 'const b=Buffer.alloc(40*1024*1024,1);setInterval(()=>b[0]++,50)';
  const p = spawn('sh', ['-c', `${process.execPath} -e '${hold}' & ${process.execPath} -e '${hold}' & wait`], { detached: true, stdio: 'ignore' });
  t.after(() => {
    try {
      process.kill(-(p.pid ?? 0), 'SIGKILL');
    } catch {
      // gone
    }
  });
  const pgid = p.pid ?? 0;
  let u = sampleProcessGroups(new Set([pgid])).get(pgid);
  for (let i = 0; i < 200 && (u === undefined || u.processes < 3 || u.rssBytes < 80 * 1024 * 1024); i++) {
    await new Promise((r) => setTimeout(r, 20));
    u = sampleProcessGroups(new Set([pgid])).get(pgid);
  }
  assert.ok(u !== undefined);
  assert.equal(u.processes, 3); // sh and two node processes
  assert.ok(u.rssBytes >= 80 * 1024 * 1024, `rss ${u.rssBytes}`);
  assert.ok(u.cpuSeconds >= 0);
  assert.equal(sampleProcessGroups(new Set([999_999_999])).size, 0);
});
