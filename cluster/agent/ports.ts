/**
 * Host ports for pods: pods share the node's network, so every container port
 * without a fixed number gets one from the agent's range (like Nomad's dynamic
 * ports). The process learns it from `PORT` (the first port) and `PORT_<NAME>`
 * for named ports (upper-cased, '-' → '_').
 */
import { createServer } from 'node:net';

export class PortRangeError extends Error {
  readonly code = 'port_range';
  constructor(message: string) {
    super(message);
    this.name = 'PortRangeError';
  }
}

/** Parses `LOW-HIGH` (e.g. `30000-32767`); throws PortRangeError saying what was wrong. */
export function parsePortRange(s: string): { low: number; high: number } {
  const m = /^([0-9]{1,5})-([0-9]{1,5})$/.exec(s.trim());
  const low = Number(m?.[1]);
  const high = Number(m?.[2]);
  if (m === null || low < 1 || high > 65535 || low > high) throw new PortRangeError(`invalid port range "${s}": expected LOW-HIGH within 1-65535, e.g. 30000-32767`);
  return { low, high };
}

/** Whether nothing listens on 127.0.0.1:`port` right now. */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** Hands out ports from a range, skipping ones in use by anything on the machine. */
export class PortAllocator {
  private readonly used = new Set<number>();
  private nextPort: number;

  constructor(
    readonly low: number,
    readonly high: number,
  ) {
    this.nextPort = low;
  }

  /** A free port from the range (round-robin so a just-released port is not reused at once). */
  async allocate(): Promise<number> {
    const n = this.high - this.low + 1;
    for (let i = 0; i < n; i++) {
      const p = this.nextPort;
      this.nextPort = p >= this.high ? this.low : p + 1;
      if (this.used.has(p)) continue;
      if (!(await portFree(p))) continue;
      this.used.add(p);
      return p;
    }
    throw new PortRangeError(`no free port in ${this.low}-${this.high} (${this.used.size} allocated to pods)`);
  }

  /** Marks a fixed port as used (a containerPort given in the spec). */
  reserve(port: number): void {
    this.used.add(port);
  }

  release(port: number): void {
    this.used.delete(port);
  }

  get allocated(): number {
    return this.used.size;
  }
}

/** `PORT_<NAME>` for a named port. */
export function portEnvName(name: string): string {
  return `PORT_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
