/**
 * `ServiceAccountController`: makes sure every namespace has the service
 * account `default` (the identity of pods that name none), as Kubernetes'
 * service account controller does. It watches Namespaces from the start
 * (an ADDED event per existing one) and creates `default` where it is missing;
 * a deleted `default` comes back when its namespace changes or at the next start.
 * Creating is idempotent, so several servers on one store may all run it.
 */
import { ApiError } from '../api/api_error.js';
import type { Namespace } from '../api/objects.js';
import type { ObjectWatch, Registry } from '../api/registry.js';
import { RESOURCES } from '../api/resources.js';

const NAMESPACES = RESOURCES.find((r) => r.resource === 'namespaces')!;
const SERVICE_ACCOUNTS = RESOURCES.find((r) => r.resource === 'serviceaccounts')!;

export interface ServiceAccountControllerLogger {
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export class ServiceAccountController {
  private readonly registry: Registry;
  private readonly log: ServiceAccountControllerLogger | undefined;
  private watch: ObjectWatch | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(registry: Registry, log?: ServiceAccountControllerLogger) {
    this.registry = registry;
    this.log = log;
  }

  /** Creates `default` in `namespace` unless it exists or the namespace is going away. */
  async ensureDefault(namespace: string): Promise<void> {
    try {
      await this.registry.create(SERVICE_ACCOUNTS, namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } });
    } catch (e) {
      if (e instanceof ApiError && (e.reason === 'AlreadyExists' || e.code === 403 || e.code === 404)) return;
      throw e;
    }
  }

  /** Starts watching; resolves once the existing namespaces have their `default`. */
  async start(): Promise<void> {
    const list = await this.registry.list(NAMESPACES, '');
    for (const ns of list.items as Namespace[]) if (ns.metadata.deletionTimestamp === undefined) await this.ensureDefault(ns.metadata.name);
    this.loop = this.run(list.metadata.resourceVersion);
  }

  private async run(from: string): Promise<void> {
    let rv = from;
    while (!this.stopped) {
      const w = this.registry.watch(NAMESPACES, '', { resourceVersion: rv });
      this.watch = w;
      try {
        for await (const ev of w) {
          if (ev.type === 'ERROR') {
            rv = '';
            break;
          }
          const ns = ev.object as Namespace;
          if (ns.metadata.resourceVersion !== undefined) rv = ns.metadata.resourceVersion;
          if (ev.type === 'DELETED' || ns.metadata.deletionTimestamp !== undefined) continue;
          await this.ensureDefault(ns.metadata.name).catch((e: unknown) =>
            this.log?.warn('cannot create the default service account', { namespace: ns.metadata.name, err: e instanceof Error ? e.message : String(e) }),
          );
        }
      } catch (e) {
        if (!this.stopped) this.log?.warn('service account controller: namespace watch failed; restarting', { err: e instanceof Error ? e.message : String(e) });
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 1000).unref());
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.close();
    await this.loop;
  }
}
