/**
 * `EventRecorder`: writes Kubernetes Events about objects, folding repeats: an
 * event with the same involved object, reason and message as an earlier one
 * updates that Event's `count` and `lastTimestamp` instead of adding another
 * (client-go's event correlator does the same). Event names are
 * `<object name>.<hash of reason and message>`. Failures are logged, never thrown:
 * an Event is information, not part of the reconcile.
 */
import { createHash } from 'node:crypto';
import { ApiError } from '../api/api_error.js';
import type { ApiObject, Event } from '../api/objects.js';
import type { Registry } from '../api/registry.js';
import { RESOURCES } from '../api/resources.js';
import type { ControllerLogger } from './controller.js';

const EVENTS = RESOURCES.find((r) => r.resource === 'events')!;

export class EventRecorder {
  private readonly registry: Registry;
  private readonly component: string;
  private readonly now: () => number;
  private readonly log: ControllerLogger | undefined;

  constructor(registry: Registry, component: string, opts: { now?: () => number; logger?: ControllerLogger } = {}) {
    this.registry = registry;
    this.component = component;
    this.now = opts.now ?? Date.now;
    this.log = opts.logger;
  }

  /** Records an Event about `obj` (in its namespace; cluster-scoped objects' Events go to `default`). */
  async record(obj: ApiObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const ns = obj.metadata.namespace || 'default';
    const h = createHash('sha256').update(`${obj.kind}\0${obj.metadata.uid ?? ''}\0${reason}\0${message}`).digest('hex').slice(0, 16);
    const name = `${obj.metadata.name}.${h}`;
    const ts = new Date(this.now()).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      },
      reason,
      message,
      type,
      source: { component: this.component },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
    };
    try {
      try {
        await this.registry.create(EVENTS, ns, ev);
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
        const cur = (await this.registry.get(EVENTS, ns, name)) as Event;
        await this.registry.update(EVENTS, ns, name, { ...cur, count: (cur.count ?? 1) + 1, lastTimestamp: ts });
      }
    } catch (e) {
      this.log?.warn('cannot record event', { object: `${ns}/${obj.metadata.name}`, reason, err: e instanceof Error ? e.message : String(e) });
    }
  }
}
