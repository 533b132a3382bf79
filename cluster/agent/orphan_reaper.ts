/**
 * Processes left behind by an agent that died without stopping its pods (a
 * SIGKILL, a crash): each container run records its process-group id in
 * `<pod dir>/logs/<container>.pid`; at start the agent kills every recorded
 * group that still exists and still runs inside that pod directory (the
 * working-directory check guards against a recycled pid), so a restarted agent
 * never runs a pod twice.
 */
import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';

/** Records the group of a container's current run. */
export function recordPid(logDir: string, container: string, pid: number): void {
  writeFileSync(join(logDir, `${container}.pid`), `${pid}\n`);
}

/** Forgets it (the run ended). */
export function clearPid(logDir: string, container: string): void {
  rmSync(join(logDir, `${container}.pid`), { force: true });
}

function groupLivesIn(pid: number, podDir: string, proc: string): boolean {
  try {
    const stat = readFileSync(join(proc, String(pid), 'stat'), 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || Number(f[2]) !== pid) return false;
    const cwd = readlinkSync(join(proc, String(pid), 'cwd'));
    return cwd === podDir || cwd.startsWith(podDir + sep);
  } catch {
    return false;
  }
}

/** Kills leftover container process groups under `<dataDir>/pods`; returns how many were killed. */
export function reapOrphans(dataDir: string, proc = '/proc'): number {
  let killed = 0;
  const pods = join(dataDir, 'pods');
  let dirs: string[];
  try {
    dirs = readdirSync(pods);
  } catch {
    return 0;
  }
  for (const d of dirs) {
    const podDir = join(pods, d);
    let files: string[];
    try {
      files = readdirSync(join(podDir, 'logs')).filter((f) => f.endsWith('.pid'));
    } catch {
      continue;
    }
    for (const f of files) {
      const pid = Number(readFileSync(join(podDir, 'logs', f), 'utf8').trim());
      if (Number.isInteger(pid) && pid > 1 && groupLivesIn(pid, podDir, proc)) {
        try {
          process.kill(-pid, 'SIGKILL');
          killed++;
        } catch {
          // already gone
        }
      }
      rmSync(join(podDir, 'logs', f), { force: true });
    }
  }
  return killed;
}
