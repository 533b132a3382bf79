/**
 * Failover as a part of `vigil server` (register after `clusterPart()`): runs the
 * node lease monitor (1 s lease-age series, only while this server's controllers
 * lead) and holds the `NodeFailover` that performs `failover node/NAME` actions.
 *
 * Wiring (cmd/server.ts):
 *
 *   const failover = failoverPart({ cluster });
 *   const clusterActions = actionsPart({ registry: …, failover: failover.run });
 *   alertServerPart({ …, builtinRules: builtinClusterRules })
 *   parts: [ …, cluster, failover, clusterActions, … ]
 *
 * Flags: `--cluster.failover-after` (failover_flags.ts). Without controllers
 * (`noControllers`) nothing runs and `run` rejects.
 */
import type { FastifyInstance } from 'fastify';
import type { PartContext, ServerPart } from '../../cmd/server.js';
import type { Lease } from '../api/objects.js';
import { NODE_LEASE_NAMESPACE } from '../api/objects.js';
import type { ClusterPart } from '../cluster_part.js';
import { EventRecorder } from '../controllers/event_recorder.js';
import { Informer } from '../controllers/informer.js';
import { LEASES } from '../controllers/resources.js';
import { failoverFlagsFrom } from './failover_flags.js';
import { NodeLeaseMonitor } from './lease_monitor.js';
import { type FailoverResult, NodeFailover } from './node_failover.js';

export interface FailoverPartOptions {
  cluster: ClusterPart;
  /** Overrides `--cluster.failover-after`, ms. */
  failoverAfterMs?: number;
  /** Lease monitor period, ms. Default 500. */
  periodMs?: number;
  now?: () => number;
}

export interface FailoverPart extends ServerPart {
  /** Performs `failover node/NAME` (for `actionsPart({ failover })`); rejects when not running. */
  readonly run: (node: string, dry: boolean) => Promise<FailoverResult>;
  monitor(): NodeLeaseMonitor | null;
  failover(): NodeFailover | null;
}

export function failoverPart(opts: FailoverPartOptions): FailoverPart {
  let monitor: NodeLeaseMonitor | null = null;
  let failover: NodeFailover | null = null;
  return {
    name: 'cluster-failover',
    monitor: () => monitor,
    failover: () => failover,
    run: async (node, dry) => {
      if (failover === null) throw new Error('cluster failover is not running (no cluster controllers in this server)');
      return failover.run(node, dry);
    },
    async register(app: FastifyInstance, ctx: PartContext): Promise<void> {
      const api = opts.cluster.api();
      const manager = opts.cluster.manager();
      if (api === null || manager === null) return;
      const flags = failoverFlagsFrom(ctx.flags.asStrings);
      const registry = api.registry;
      const now = opts.now ?? Date.now;
      const logger = ctx.logger;
      // Renewals are noted as they arrive, not only at the next tick.
      const leases = new Informer<Lease>(registry, LEASES, { namespace: NODE_LEASE_NAMESPACE, logger });
      const m = new NodeLeaseMonitor({
        registry,
        view: {
          nodes: async () => manager.informers.nodes.list(),
          pods: async () => manager.informers.pods.list(),
          leases: async () => leases.list(),
        },
        appendable: () => {
          try {
            return ctx.storage();
          } catch {
            return null;
          }
        },
        isLeading: () => manager.isLeading(),
        defaultFailoverAfterMs: opts.failoverAfterMs ?? flags.failoverAfterMs,
        now,
        logger,
        events: new EventRecorder(registry, 'node-lease-monitor', { now, logger }),
        ...(opts.periodMs !== undefined ? { periodMs: opts.periodMs } : {}),
      });
      const f = new NodeFailover({ registry, monitor: m, now, logger, events: new EventRecorder(registry, 'node-failover', { now, logger }), metrics: ctx.metrics });
      leases.addHandlers({ onAdd: (l) => m.observeLease(l), onUpdate: (_old, l) => m.observeLease(l) });
      await leases.start();
      monitor = m;
      failover = f;
      m.start();
      app.addHook('onClose', async () => {
        failover = null;
        await f.close();
        await m.stop();
        leases.stop();
        monitor = null;
      });
    },
  };
}
