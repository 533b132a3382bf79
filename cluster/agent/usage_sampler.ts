/**
 * Samples the CPU and memory of every running container of the given pods and
 * feeds them to the containers (which enforce memory limits in process-group
 * mode). One /proc scan per call covers all pods; in cgroup2 mode each
 * container's cgroup files are read instead.
 */
import type { PodSupervisor } from './pod_supervisor.js';
import { readCgroup, sampleProcessGroups } from './resources.js';

/** Samples once. Cheap enough for a 1 s period with hundreds of processes. */
export function sampleUsage(pods: Iterable<PodSupervisor>, proc = '/proc'): void {
  const groups = new Set<number>();
  const list = [...pods];
  for (const p of list) for (const r of p.runners) if (r.proc?.running === true && r.cgroupPath === null) groups.add(r.proc.pid);
  const usage = sampleProcessGroups(groups, proc);
  for (const p of list) {
    for (const r of p.runners) {
      if (r.proc?.running !== true) continue;
      const cg = r.cgroupPath;
      if (cg !== null) {
        const u = readCgroup(cg);
        r.sample(u.cpuSeconds, u.memoryBytes);
        continue;
      }
      const u = usage.get(r.proc.pid);
      if (u !== undefined) r.sample(u.cpuSeconds, u.rssBytes);
    }
  }
}

/** Runs `sampleUsage` every `periodMs` until the returned stop function is called. */
export function startUsageSampler(pods: () => Iterable<PodSupervisor>, periodMs = 1000): () => void {
  const t = setInterval(() => sampleUsage(pods()), periodMs);
  t.unref();
  return () => clearInterval(t);
}
