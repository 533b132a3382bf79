/**
 * Resource limits and accounting for pods, in one of two modes detected at start:
 *
 * - `cgroup2`: /sys/fs/cgroup is the unified hierarchy with the cpu and memory
 *   controllers and we may write it. Each container gets a cgroup
 *   `<root>/vigil/<pod-uid>_<container>` with `cpu.max` ("<quota> <period>") and
 *   `memory.max` from its limits; the kernel enforces them (an OOM kill shows as SIGKILL
 *   with memory.events oom_kill > 0).
 * - `process-group` (everything else, e.g. cgroup v1 hosts and containers): each
 *   container is a process group; the agent samples /proc every interval, sums RSS and
 *   CPU time over the group, and kills a group whose RSS passes its memory limit
 *   (reason OOMKilled). CPU limits are not enforced in this mode, only accounted.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseQuantity } from '../api/quantity.js';
import type { ResourceRequirements } from '../api/objects.js';

export type IsolationMode = 'cgroup2' | 'process-group';

/** Detects the mode: cgroup2 only when the controllers are there and the agent can create a child group. */
export function detectIsolation(root = '/sys/fs/cgroup'): IsolationMode {
  try {
    const controllers = readFileSync(join(root, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (!controllers.includes('cpu') || !controllers.includes('memory')) return 'process-group';
    accessSync(root, constants.W_OK);
    const dir = join(root, 'vigil');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(root, 'cgroup.subtree_control'), '+cpu +memory');
    writeFileSync(join(dir, 'cgroup.subtree_control'), '+cpu +memory');
    return 'cgroup2';
  } catch {
    return 'process-group';
  }
}

/** Limits of a container in base units; undefined = none. */
export interface Limits {
  cpuCores: number | undefined;
  memoryBytes: number | undefined;
}

export function limitsOf(r: ResourceRequirements | undefined): Limits {
  const cpu = r?.limits?.cpu;
  const mem = r?.limits?.memory;
  return {
    cpuCores: cpu === undefined ? undefined : (parseQuantity(cpu) ?? undefined),
    memoryBytes: mem === undefined ? undefined : (parseQuantity(mem) ?? undefined),
  };
}

const CPU_PERIOD_US = 100_000;

/** Creates the container's cgroup with its limits, moves `pid` into it, returns its path. */
export function enterCgroup(root: string, name: string, pid: number, limits: Limits): string {
  const dir = join(root, 'vigil', name);
  mkdirSync(dir, { recursive: true });
  if (limits.cpuCores !== undefined) writeFileSync(join(dir, 'cpu.max'), `${Math.max(1000, Math.round(limits.cpuCores * CPU_PERIOD_US))} ${CPU_PERIOD_US}`);
  if (limits.memoryBytes !== undefined) writeFileSync(join(dir, 'memory.max'), String(Math.floor(limits.memoryBytes)));
  writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  return dir;
}

/** CPU seconds and memory bytes of a cgroup, and whether the kernel OOM-killed in it. */
export function readCgroup(dir: string): { cpuSeconds: number; memoryBytes: number; oomKills: number } {
  let cpuSeconds = 0;
  let memoryBytes = 0;
  let oomKills = 0;
  try {
    const m = /usage_usec ([0-9]+)/.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'));
    if (m) cpuSeconds = Number(m[1]) / 1e6;
    memoryBytes = Number(readFileSync(join(dir, 'memory.current'), 'utf8').trim());
    const o = /oom_kill ([0-9]+)/.exec(readFileSync(join(dir, 'memory.events'), 'utf8'));
    if (o) oomKills = Number(o[1]);
  } catch {
    // the group is gone
  }
  return { cpuSeconds, memoryBytes, oomKills };
}

export function removeCgroup(dir: string): void {
  try {
    if (existsSync(dir)) rmdirSync(dir);
  } catch {
    // still has processes: the kernel removes nothing; retried on the next start
  }
}

/** Usage of one process group. */
export interface GroupUsage {
  rssBytes: number;
  cpuSeconds: number;
  processes: number;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux ABI Node supports). */
const USER_HZ = 100;

/**
 * Reads /proc once and sums RSS and CPU time per process group for the groups in `pgids`.
 * Processes that exited between the directory read and the file read are skipped.
 */
export function sampleProcessGroups(pgids: ReadonlySet<number>, proc = '/proc'): Map<number, GroupUsage> {
  const out = new Map<number, GroupUsage>();
  if (pgids.size === 0) return out;
  let entries: string[];
  try {
    entries = readdirSync(proc);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^[0-9]+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(join(proc, e, 'stat'), 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command name (which may hold spaces): state ppid pgrp … utime(14) stime(15).
    const close = stat.lastIndexOf(')');
    const f = stat.slice(close + 2).split(' ');
    const pgid = Number(f[2]);
    if (!pgids.has(pgid)) continue;
    const cpu = (Number(f[11]) + Number(f[12])) / USER_HZ;
    let rss = 0;
    try {
      const m = /VmRSS:\s+([0-9]+) kB/.exec(readFileSync(join(proc, e, 'status'), 'utf8'));
      if (m) rss = Number(m[1]) * 1024;
    } catch {
      continue;
    }
    const u = out.get(pgid) ?? { rssBytes: 0, cpuSeconds: 0, processes: 0 };
    u.rssBytes += rss;
    u.cpuSeconds += cpu;
    u.processes++;
    out.set(pgid, u);
  }
  return out;
}
