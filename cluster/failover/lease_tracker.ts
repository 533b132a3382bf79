/**
 * `LeaseTracker`: a node's lease age on the control plane's own clock (Kubernetes'
 * "probe timestamp" idea): every look records what the node last wrote (its
 * Lease renewTime — the *signature*); when the signature changed, the node is
 * alive as of our clock now. The age is the time since the
 * last change. A node seen for the first time counts as alive at that moment (so
 * a freshly started control plane gives every node a full failoverAfter), but such
 * a first sighting is not a *change*: `changedSince` stays false for it, so a
 * node that was already dead is not mistaken for one that came back.
 */

interface Probe {
  signature: string;
  /** Our clock when the signature last changed (or when first seen), ms. */
  seenAt: number;
  /** Whether `seenAt` is an observed change (not only the first sighting). */
  changed: boolean;
}

export class LeaseTracker {
  private readonly probes = new Map<string, Probe>();

  /** Records one look at `node` at `now` (ms). Returns its lease age, ms. */
  observe(node: string, signature: string, now: number): number {
    const p = this.probes.get(node);
    if (p === undefined) {
      this.probes.set(node, { signature, seenAt: now, changed: false });
      return 0;
    }
    if (p.signature !== signature) {
      p.signature = signature;
      p.seenAt = now;
      p.changed = true;
    }
    return Math.max(0, now - p.seenAt);
  }

  /** When the node was last seen alive (our clock, ms); undefined if never looked at. */
  silentSince(node: string): number | undefined {
    return this.probes.get(node)?.seenAt;
  }

  /** Whether the node's signature changed (a real renewal was seen) after `t` (ms). */
  changedSince(node: string, t: number): boolean {
    const p = this.probes.get(node);
    return p?.changed === true && p.seenAt > t;
  }

  /** Nodes tracked. */
  nodes(): string[] {
    return [...this.probes.keys()];
  }

  /** Forgets nodes not in `keep`; returns the forgotten names. */
  retain(keep: ReadonlySet<string>): string[] {
    const gone: string[] = [];
    for (const k of this.probes.keys()) {
      if (!keep.has(k)) {
        this.probes.delete(k);
        gone.push(k);
      }
    }
    return gone;
  }

  /** Forgets everything (leadership lost: a new term starts fresh). */
  clear(): void {
    this.probes.clear();
  }
}
