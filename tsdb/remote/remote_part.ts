/**
 * The server part for remote storage and federation: wires the remote write receiver
 * (`POST /api/v1/write`, behind `--web.enable-remote-write-receiver`), the remote read
 * endpoint (`POST /api/v1/read`), federation (`GET /federate`) and the `remote_write` /
 * `remote_read` configuration (applied on start-up and on every reload).
 *
 * Where samples come from: the sender forwards what is committed through a
 * `RemoteStorage`. When the composition root opened the storage as a `RemoteStorage`
 * (`openStorage: () => new RemoteStorage(tsdb)`), everything appended anywhere is
 * forwarded and queries see remote_read data. Otherwise this part wraps the storage
 * itself, and only samples received over remote write are forwarded (logged once).
 * Reads served here (remote read, federation) use the local (primary) storage only,
 * so two servers reading each other cannot loop.
 */
import type { FastifyInstance } from 'fastify';
import type { PartContext, ServerPart } from '../../cmd/server.js';
import type { Matcher } from '../matcher.js';
import type { Storage } from '../storage.js';
import { federateRoutes } from './federate.js';
import { RemoteWriteMetrics } from './queue_metrics.js';
import { remoteReadRoutes } from './read_handler.js';
import { RemoteStorage, type RemoteStorageOptions } from './remote_storage.js';
import { remoteWriteRoutes } from './write_handler.js';

/** What the composition root supplies: federation's selector parser (PromQL), plus storage options. */
export interface RemotePartOptions extends RemoteStorageOptions {
  /** Parses a `match[]` selector (query/parser.ts `parseMetricSelector`). */
  parseSelector: (selector: string) => Matcher[];
}

/** The remote part; tests pass shorter deadlines in the storage options. */
export function createRemotePart(opts: RemotePartOptions): ServerPart {
  return {
    name: 'remote',
    async register(app: FastifyInstance, ctx: PartContext): Promise<void> {
      let own: RemoteStorage | null = null;
      const remote = (): RemoteStorage => {
        const s = ctx.storage();
        if (s instanceof RemoteStorage) return s;
        if (own === null || own.primary !== s) own = new RemoteStorage(s, opts);
        return own;
      };
      const primary = (): Storage => {
        const s = ctx.storage();
        return s instanceof RemoteStorage ? s.primary : s;
      };
      const externalLabels = () => ctx.config().global.externalLabels;
      const metrics = new RemoteWriteMetrics(ctx.metrics);

      await remoteWriteRoutes(app, {
        enabled: ctx.flags.enableRemoteWriteReceiver,
        appendable: remote,
        logger: ctx.logger,
        metrics: ctx.metrics,
      });
      await remoteReadRoutes(app, { queryable: primary, externalLabels });
      await federateRoutes(app, { queryable: primary, externalLabels, lookbackDeltaMs: ctx.flags.queryLookbackDeltaMs, metrics: ctx.metrics, parseSelector: opts.parseSelector });

      let warned = false;
      ctx.onConfigReload('remote', async (cfg) => {
        if (!(ctx.storage() instanceof RemoteStorage) && cfg.remoteWrite.length + cfg.remoteRead.length > 0 && !warned) {
          warned = true;
          ctx.logger.warn(
            'The storage is not wrapped in a RemoteStorage: remote_write forwards only samples received over remote write, and queries do not see remote_read data',
          );
        }
        await remote().applyConfig(
          { externalLabels: cfg.global.externalLabels, remoteWrite: cfg.remoteWrite, remoteRead: cfg.remoteRead },
          { metrics, logger: ctx.logger },
        );
      });
      app.addHook('onClose', async () => {
        // A RemoteStorage opened by the composition root stops its queues when storage closes.
        if (own !== null) await (own as RemoteStorage).stopQueues();
      });
    },
  };
}
