/**
 * The controller manager's own metrics, so its automation is visible:
 *
 *   vigil_cluster_leader{identity}                       gauge: 1 while this process runs the controllers
 *   vigil_cluster_controller_syncs_total{controller}     counter: reconciles run by this process
 *   vigil_cluster_controller_queue_depth{controller}     gauge: keys waiting
 *   vigil_scheduler_pending_unschedulable_pods           gauge: pods that fit no node at their last attempt
 */
import { Counter, Gauge, type Registry as PromRegistry } from 'prom-client';
import type { ControllerManager } from './manager.js';

export function registerManagerMetrics(reg: PromRegistry, m: ControllerManager): void {
  const controllers = () => [m.scheduler, m.replicaSets, m.deployments, m.endpoints];
  new Gauge({
    name: 'vigil_cluster_leader',
    help: 'Whether this server runs the cluster controllers (1) or stands by (0).',
    labelNames: ['identity'],
    registers: [reg],
    collect() {
      this.reset();
      this.set({ identity: m.identity }, m.isLeading() ? 1 : 0);
    },
  });
  new Counter({
    name: 'vigil_cluster_controller_syncs_total',
    help: 'Reconciles run by this server, by controller.',
    labelNames: ['controller'],
    registers: [reg],
    collect() {
      this.reset();
      for (const c of controllers()) this.inc({ controller: c.name }, c.syncs);
    },
  });
  new Gauge({
    name: 'vigil_cluster_controller_queue_depth',
    help: 'Keys waiting in a controller work queue.',
    labelNames: ['controller'],
    registers: [reg],
    collect() {
      this.reset();
      for (const c of controllers()) this.set({ controller: c.name }, c.queue.length);
    },
  });
  new Gauge({
    name: 'vigil_scheduler_pending_unschedulable_pods',
    help: 'Pods that fit no node at their last scheduling attempt.',
    registers: [reg],
    collect() {
      this.set(m.scheduler.unschedulableCount());
    },
  });
}
