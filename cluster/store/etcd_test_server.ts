/**
 * `startEtcd`: runs a real, throw-away etcd (Debian's `etcd-server`) for tests
 * — single member, on 127.0.0.1 with free ports and a temporary data
 * directory that `stop()` removes. Used by the etcd store, leader election and
 * end-to-end tests; never by production code.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdProcess {
  /** `127.0.0.1:PORT` of the client port. */
  readonly endpoint: string;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and removes its data directory. */
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the OS picks it; etcd binds it right after). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

function stopProcess(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/**
 * Starts etcd and resolves once `/health` answers true (at most `timeoutMs`, default 20 s).
 * Rejects with etcd's stderr when the binary is missing or exits early (a port race is retried twice).
 */
export async function startEtcd(timeoutMs = 20_000): Promise<EtcdProcess> {
  let lastError: Error | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-etcd-'));
    const clientPort = await freePort();
    const peerPort = await freePort();
    const endpoint = `127.0.0.1:${clientPort}`;
    const proc = spawn(
      'etcd',
      [
        '--name=vigil-test',
        `--data-dir=${join(dir, 'data')}`,
        `--listen-client-urls=http://${endpoint}`,
        `--advertise-client-urls=http://${endpoint}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=vigil-test=http://127.0.0.1:${peerPort}`,
        '--logger=zap',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString('utf8');
    });
    const exited = new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.once('error', (e) => {
        stderr += String(e);
        resolve();
      });
    });
    const stop = async () => {
      await stopProcess(proc);
      rmSync(dir, { recursive: true, force: true });
    };
    const deadline = Date.now() + timeoutMs;
    let early = false;
    void exited.then(() => {
      early = true;
    });
    while (Date.now() < deadline && !early) {
      if (await healthy(endpoint)) return { endpoint, stop };
      await new Promise((r) => setTimeout(r, 50));
    }
    await stop();
    lastError = new Error(
      `etcd on ${endpoint} did not become healthy within ${timeoutMs} ms${early ? ' (it exited)' : ''}: ${stderr.trim() || 'no output'} ` +
        '(is the Debian package etcd-server installed? see test/debian-packages.txt)',
    );
    if (!early) break;
  }
  throw lastError ?? new Error('etcd did not start');
}
