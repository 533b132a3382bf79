/**
 * The agent's per-pod metrics (a prom-client Registry of its own), read from
 * the supervisors at scrape time:
 *
 *   vigil_pod_cpu_seconds_total{namespace,pod,container}         counter (user+system CPU)
 *   vigil_pod_memory_bytes{namespace,pod,container}              gauge (RSS of the process group, or cgroup memory.current)
 *   vigil_pod_container_restarts_total{namespace,pod,container}  counter
 *   vigil_pod_probe_result{namespace,pod,container,probe}        gauge: 1 last probe succeeded, 0 failed
 *   vigil_agent_pods                                             gauge: pods supervised
 *   vigil_service_proxy_connections_total{service,port}          counter: connections accepted by a Service proxy
 *   vigil_service_proxy_failed_connections_total{service,port}   counter: connections no endpoint accepted
 *   vigil_service_proxy_endpoints{service,port}                  gauge: endpoints the proxy spreads over
 *
 * and the node's own totals (the whole machine, pods or not; read from `node:os` at scrape time):
 *
 *   vigil_node_cpu_seconds_total     counter: busy CPU time of all cores since boot (user+nice+sys+irq)
 *   vigil_node_cpus                  gauge: logical CPUs
 *   vigil_node_memory_bytes          gauge: memory in use (total minus available)
 *   vigil_node_memory_total_bytes    gauge: physical memory
 *
 * The scrape job of the node agents (`vigil-nodes`) labels them with `instance="<node name>"`.
 */
import { cpus, freemem, totalmem } from 'node:os';
import { Counter, Gauge, Registry } from 'prom-client';
import type { PodSupervisor } from './pod_supervisor.js';
import type { ProbeKind } from './probes.js';
import type { PortProxy } from './service_proxy.js';

const LABELS = ['namespace', 'pod', 'container'] as const;

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly probes = new Map<string, { labels: Record<string, string>; ok: boolean }>();

  constructor(pods: () => Iterable<PodSupervisor>, proxies: () => Iterable<PortProxy> = () => []) {
    const each = (fn: (labels: Record<(typeof LABELS)[number], string>, r: PodSupervisor['runners'][number]) => void) => {
      for (const p of pods()) {
        for (const r of p.runners) fn({ namespace: p.pod.metadata.namespace ?? 'default', pod: p.pod.metadata.name, container: r.name }, r);
      }
    };
    new Counter({
      name: 'vigil_pod_cpu_seconds_total',
      help: 'CPU time (user and system) used by the container, all runs together.',
      labelNames: LABELS,
      registers: [this.registry],
      collect() {
        this.reset();
        each((l, r) => this.inc(l, r.cpuSeconds));
      },
    });
    new Gauge({
      name: 'vigil_pod_memory_bytes',
      help: 'Resident memory of the container (its process group, or its cgroup).',
      labelNames: LABELS,
      registers: [this.registry],
      collect() {
        this.reset();
        each((l, r) => this.set(l, r.memoryBytes));
      },
    });
    new Counter({
      name: 'vigil_pod_container_restarts_total',
      help: 'Restarts of the container since its pod started on this node.',
      labelNames: LABELS,
      registers: [this.registry],
      collect() {
        this.reset();
        each((l, r) => this.inc(l, r.restartCount));
      },
    });
    const probes = this.probes;
    new Gauge({
      name: 'vigil_pod_probe_result',
      help: 'Result of the last run of a probe: 1 success, 0 failure.',
      labelNames: [...LABELS, 'probe'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of probes.values()) this.set(p.labels, p.ok ? 1 : 0);
      },
    });
    const eachProxy = (fn: (labels: { service: string; port: string }, px: PortProxy) => void) => {
      for (const px of proxies()) fn({ service: px.service, port: String(px.port) }, px);
    };
    new Counter({
      name: 'vigil_service_proxy_connections_total',
      help: 'Connections accepted by the Service proxy on this node.',
      labelNames: ['service', 'port'],
      registers: [this.registry],
      collect() {
        this.reset();
        eachProxy((l, px) => this.inc(l, px.accepted));
      },
    });
    new Counter({
      name: 'vigil_service_proxy_failed_connections_total',
      help: 'Connections the Service proxy closed because no endpoint accepted them.',
      labelNames: ['service', 'port'],
      registers: [this.registry],
      collect() {
        this.reset();
        eachProxy((l, px) => this.inc(l, px.failed));
      },
    });
    new Gauge({
      name: 'vigil_service_proxy_endpoints',
      help: 'Ready endpoints the Service proxy spreads connections over.',
      labelNames: ['service', 'port'],
      registers: [this.registry],
      collect() {
        this.reset();
        eachProxy((l, px) => this.set(l, px.currentBackends.length));
      },
    });
    registerNodeMetrics(this.registry);
    new Gauge({
      name: 'vigil_agent_pods',
      help: 'Pods supervised by this agent.',
      registers: [this.registry],
      collect() {
        this.set([...pods()].length);
      },
    });
  }

  recordProbe(namespace: string, pod: string, container: string, probe: ProbeKind, ok: boolean): void {
    this.probes.set(`${namespace}/${pod}/${container}/${probe}`, { labels: { namespace, pod, container, probe }, ok });
  }

  /** Drops a pod's probe series when it leaves the node. */
  forgetPod(namespace: string, pod: string): void {
    const prefix = `${namespace}/${pod}/`;
    for (const k of this.probes.keys()) if (k.startsWith(prefix)) this.probes.delete(k);
  }
}

/** Busy CPU seconds of all cores since boot, from `os.cpus()`. */
export function nodeBusyCpuSeconds(list: ReturnType<typeof cpus> = cpus()): number {
  let ms = 0;
  for (const c of list) ms += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  return ms / 1000;
}

/** The node totals (see the file comment) on `registry`. */
function registerNodeMetrics(registry: Registry): void {
  new Counter({
    name: 'vigil_node_cpu_seconds_total',
    help: 'Busy CPU time (user, nice, system, irq) of all cores of the node since boot.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(nodeBusyCpuSeconds());
    },
  });
  new Gauge({
    name: 'vigil_node_cpus',
    help: 'Logical CPUs of the node.',
    registers: [registry],
    collect() {
      this.set(cpus().length);
    },
  });
  new Gauge({
    name: 'vigil_node_memory_bytes',
    help: 'Memory in use on the node (total minus available).',
    registers: [registry],
    collect() {
      this.set(Math.max(0, totalmem() - freemem()));
    },
  });
  new Gauge({
    name: 'vigil_node_memory_total_bytes',
    help: 'Physical memory of the node.',
    registers: [registry],
    collect() {
      this.set(totalmem());
    },
  });
}
