import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordPid, reapOrphans } from './orphan_reaper.js';

function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
}

test('reapOrphans kills recorded groups running in their pod directory and leaves other processes alone', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'vigil-reap-'));
  const podDir = join(data, 'pods', 'default_web_uid1');
  mkdirSync(join(podDir, 'logs'), { recursive: true });
  const orphan = spawn('sleep', ['30'], { cwd: podDir, detached: true, stdio: 'ignore' });
  // A process elsewhere whose pid was recorded (as if the pid had been recycled).
  const stranger = spawn('sleep', ['30'], { cwd: tmpdir(), detached: true, stdio: 'ignore' });
  t.after(() => {
    for (const p of [orphan, stranger])
      try {
        process.kill(-(p.pid ?? 0), 'SIGKILL');
      } catch {
        // gone
      }
    rmSync(data, { recursive: true, force: true });
  });
  recordPid(join(podDir, 'logs'), 'web', orphan.pid ?? 0);
  recordPid(join(podDir, 'logs'), 'side', stranger.pid ?? 0);
  await until(() => alive(orphan.pid ?? 0) && alive(stranger.pid ?? 0));
  assert.equal(reapOrphans(data), 1);
  await until(() => !alive(orphan.pid ?? 0));
  assert.equal(alive(orphan.pid ?? 0), false);
  assert.equal(alive(stranger.pid ?? 0), true);
  assert.equal(existsSync(join(podDir, 'logs', 'web.pid')), false);
  assert.equal(reapOrphans(data), 0);
  assert.equal(reapOrphans(join(data, 'missing')), 0);
});
