/**
 * The cluster REST API as a fastify plugin, with Kubernetes' paths and wire
 * formats, so `vigil ctl` (and, for the covered subset, tools that speak the
 * Kubernetes API) can use it:
 *
 *   /api, /apis, /api/v1, /apis/<group>/<version>          discovery
 *   /api/v1/<resource>[/<name>[/status]]                  cluster-scoped kinds; all-namespace lists
 *   /api/v1/namespaces/<ns>/<resource>[/<name>[/status]]  namespaced kinds (same under /apis/<g>/<v>/)
 *
 * Verbs: GET (get, list; `?watch=true` watches), POST (create, 201), PUT
 * (update), PATCH (`application/merge-patch+json`, `application/strategic-merge-patch+json`
 * — see merge_patch.ts; JSON patch and server-side apply answer 415), DELETE
 * (delete; `?gracePeriodSeconds=`, `?propagationPolicy=`, or a DeleteOptions body).
 * List/watch take `labelSelector`, `fieldSelector`, `limit`, `continue`,
 * `resourceVersion`; watch also `timeoutSeconds` (capped by `maxWatchSeconds`).
 *
 * A watch answers 200 with a stream of newline-delimited JSON events
 * `{"type":"ADDED|MODIFIED|DELETED|ERROR","object":{…}}`; a compacted
 * resourceVersion yields one ERROR event carrying a 410 Expired Status, as in Kubernetes.
 * Every failure is a Kubernetes `Status` object with the matching HTTP code.
 *
 * Every request, discovery included, first passes `authenticate` (null → 401)
 * and then `authorize(user, verb, resource, namespace, name)` (deny → 403).
 * `resource` is the plural name, with `/status` for the subresource; for
 * discovery it is the URL path and namespace/name are ''. The defaults allow
 * everything and say so in the log; the security issue supplies real ones.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, badRequest } from './api_error.js';
import { FieldSelectorError, parseFieldSelector } from './field_selector.js';
import { LabelSelectorError, parseSelector } from './label_selector.js';
import type { DeleteOptions, ListOptions, PatchType, Registry } from './registry.js';
import { podLogRoutes } from './pod_log.js';
import { apiVersionOf, lookupResource, RESOURCES, type ResourceInfo } from './resources.js';

/** The authenticated caller. */
export interface ApiUser {
  name: string;
  groups: string[];
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** Who is calling; null = not authenticated (401). */
export type AuthenticateFn = (req: FastifyRequest) => ApiUser | null | Promise<ApiUser | null>;

/** May `user` do `verb` on `resource` (e.g. `pods`, `pods/status`) in `namespace` ('' = cluster/all) named `name` ('' = any)? */
export type AuthorizeFn = (
  user: ApiUser,
  verb: Verb,
  resource: string,
  namespace: string,
  name: string,
) => 'allow' | 'deny' | Promise<'allow' | 'deny'>;

export interface ClusterApiLogger {
  debug(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface ClusterApiOptions {
  registry: Registry;
  /** Default: everybody is `system:anonymous` (groups `system:unauthenticated`). */
  authenticate?: AuthenticateFn;
  /** Default: allow everything (logged once at start and per request at debug level). */
  authorize?: AuthorizeFn;
  logger?: ClusterApiLogger;
  /** Longest watch before the server ends it (clients re-watch from their last resourceVersion). Default 1800 s. */
  maxWatchSeconds?: number;
  /** Largest request body. Default 3 MiB (Kubernetes' limit). */
  bodyLimit?: number;
}

const ANONYMOUS: ApiUser = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** The verbs each resource supports, for discovery. */
const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

interface Target {
  info: ResourceInfo;
  namespace: string;
  name: string;
  subresource: '' | 'status';
}

function sendStatus(reply: FastifyReply, e: ApiError): FastifyReply {
  return reply.code(e.code).type('application/json').send(e.toStatus());
}

/** Parses the path segments after `/api/v1` or `/apis/<g>/<v>` into a target (404 ApiError when unknown). */
function parseTarget(group: string, version: string, segs: string[]): Target {
  let namespace = '';
  let rest = segs;
  if (segs[0] === 'namespaces' && segs.length >= 3 && segs[2] !== 'status') {
    namespace = segs[1]!;
    rest = segs.slice(2);
  }
  const [resource, name = '', sub = '', ...extra] = rest;
  const info = resource === undefined ? undefined : lookupResource(group, version, resource);
  if (info === undefined) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${[group, version, ...segs].filter(Boolean).join('/')})`);
  if (extra.length > 0 || (sub !== '' && sub !== 'status'))
    throw new ApiError(404, 'NotFound', `the server could not find the requested resource: unknown subresource "${[sub, ...extra].join('/')}"`);
  if (sub === 'status' && !info.hasStatus) throw new ApiError(404, 'NotFound', `${info.resource} have no status subresource`);
  if (!info.namespaced && namespace !== '') throw new ApiError(404, 'NotFound', `${info.resource} are not namespaced`);
  return { info, namespace, name, subresource: sub === 'status' ? 'status' : '' };
}

function discovery(group: string, version: string): Record<string, unknown> {
  const resources: Record<string, unknown>[] = [];
  for (const i of RESOURCES) {
    if (i.group !== group || i.version !== version) continue;
    resources.push({ name: i.resource, singularName: i.kind.toLowerCase(), namespaced: i.namespaced, kind: i.kind, verbs: VERBS, shortNames: i.shortNames });
    if (i.hasStatus) resources.push({ name: `${i.resource}/status`, singularName: '', namespaced: i.namespaced, kind: i.kind, verbs: ['get', 'patch', 'update'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources };
}

function groupList(): Record<string, unknown> {
  const groups = [...new Set(RESOURCES.filter((r) => r.group !== '').map((r) => r.group))].map((g) => {
    const gv = { groupVersion: `${g}/v1`, version: 'v1' };
    return { name: g, versions: [gv], preferredVersion: gv };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

type Query = Record<string, string | undefined>;

function intParam(q: Query, key: string): number | undefined {
  const v = q[key];
  if (v === undefined || v === '') return undefined;
  if (!/^[0-9]{1,9}$/.test(v)) throw badRequest(`invalid ${key} ${JSON.stringify(v)}: must be a non-negative integer`);
  return Number(v);
}

function listOptions(q: Query): ListOptions {
  const o: ListOptions = {};
  try {
    if (q.labelSelector) o.labelSelector = parseSelector(q.labelSelector);
    if (q.fieldSelector) o.fieldSelector = parseFieldSelector(q.fieldSelector);
  } catch (e) {
    if (e instanceof LabelSelectorError || e instanceof FieldSelectorError) throw badRequest(e.message);
    throw e;
  }
  const limit = intParam(q, 'limit');
  if (limit !== undefined) o.limit = limit;
  if (q.continue) o.continue = q.continue;
  if (q.resourceVersion) o.resourceVersion = q.resourceVersion;
  return o;
}

function deleteOptions(q: Query, body: unknown): DeleteOptions {
  const o: DeleteOptions = {};
  const b = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const grace = intParam(q, 'gracePeriodSeconds') ?? (typeof b.gracePeriodSeconds === 'number' ? b.gracePeriodSeconds : undefined);
  if (grace !== undefined) o.gracePeriodSeconds = grace;
  const policy = q.propagationPolicy ?? (typeof b.propagationPolicy === 'string' ? b.propagationPolicy : undefined);
  if (policy !== undefined) {
    if (policy !== 'Background' && policy !== 'Orphan' && policy !== 'Foreground')
      throw badRequest(`invalid propagationPolicy ${JSON.stringify(policy)}: expected Background, Foreground or Orphan`);
    // Foreground is served as Background: dependents are deleted, just not awaited.
    o.propagationPolicy = policy === 'Orphan' ? 'Orphan' : 'Background';
  }
  const pre = b.preconditions;
  if (typeof pre === 'object' && pre !== null) {
    const p = pre as Record<string, unknown>;
    o.preconditions = {};
    if (typeof p.uid === 'string') o.preconditions.uid = p.uid;
    if (typeof p.resourceVersion === 'string') o.preconditions.resourceVersion = p.resourceVersion;
  }
  return o;
}

const PATCH_TYPES: Readonly<Record<string, PatchType>> = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

/** Registers the API routes on `app` (use `app.register(clusterApi, opts)`; routes are scoped to the plugin). */
export async function clusterApi(app: FastifyInstance, opts: ClusterApiOptions): Promise<void> {
  const registry = opts.registry;
  const log = opts.logger;
  const authenticate: AuthenticateFn = opts.authenticate ?? (() => ANONYMOUS);
  const allowAll = opts.authorize === undefined;
  const authorize: AuthorizeFn = opts.authorize ?? (() => 'allow');
  if (allowAll) log?.warn('cluster API authorization is not configured: every request is allowed');
  const maxWatchSeconds = opts.maxWatchSeconds ?? 1800;
  const bodyLimit = opts.bodyLimit ?? 3 * 1024 * 1024;
  /** Enders of the running watches, called when the server starts closing (preClose: server.close() would wait for them). */
  const watches = new Set<() => void>();

  app.addContentTypeParser(
    ['application/merge-patch+json', 'application/strategic-merge-patch+json'],
    { parseAs: 'string', bodyLimit },
    (_req, body, done) => {
      try {
        done(null, JSON.parse(String(body)));
      } catch (e) {
        done(badRequest(`the patch is not valid JSON: ${e instanceof Error ? e.message : String(e)}`), undefined);
      }
    },
  );
  app.addContentTypeParser(['application/json-patch+json', 'application/apply-patch+yaml'], { parseAs: 'string', bodyLimit }, (req, _body, done) => {
    done(
      new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/strategic-merge-patch+json (got ${String(req.headers['content-type'])})`,
      ),
      undefined,
    );
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof ApiError) return sendStatus(reply, err);
    const code = typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
    const message = err instanceof Error ? err.message : String(err);
    if (code >= 500) log?.error('cluster API request failed', { method: req.method, url: req.url, err: message });
    const reason = code === 413 ? 'RequestEntityTooLarge' : code === 415 ? 'UnsupportedMediaType' : code >= 500 ? 'InternalError' : 'BadRequest';
    return sendStatus(reply, new ApiError(code, reason, message));
  });

  app.addHook('preClose', async () => {
    for (const end of [...watches]) end();
  });
  app.addHook('onClose', async () => {
    for (const end of [...watches]) end();
  });

  async function guard(req: FastifyRequest, verb: Verb, resource: string, namespace: string, name: string): Promise<void> {
    const user = await authenticate(req);
    if (user === null) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    const decision = await authorize(user, verb, resource, namespace, name);
    if (allowAll) log?.debug('cluster API request allowed (no authorizer configured)', { user: user.name, verb, resource, namespace, name });
    if (decision !== 'allow') {
      const what = name !== '' ? `${resource} "${name}"` : resource;
      const where = namespace !== '' ? ` in the namespace "${namespace}"` : '';
      const group = RESOURCES.find((r) => r.resource === resource.split('/')[0])?.group ?? '';
      throw new ApiError(
        403,
        'Forbidden',
        `${what} is forbidden: User "${user.name}" cannot ${verb} resource "${resource}" in API group "${group}"${where}`,
      );
    }
  }

  await podLogRoutes(app, { registry, guard }); // GET …/pods/<name>/log (pod_log.ts)

  async function handle(req: FastifyRequest, reply: FastifyReply, group: string, version: string, segs: string[]): Promise<unknown> {
    const q = req.query as Query;
    if (segs.length === 0) {
      await guard(req, 'get', req.url.split('?')[0]!, '', '');
      if (req.method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', `${req.method} is not supported on ${req.url}`);
      if (!RESOURCES.some((r) => r.group === group && r.version === version))
        throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${group}/${version})`);
      return discovery(group, version);
    }
    const t = parseTarget(group, version, segs);
    const res = t.subresource === '' ? t.info.resource : `${t.info.resource}/status`;
    const sub = t.subresource === 'status' ? { subresource: 'status' as const } : {};
    if (t.info.namespaced && t.namespace === '' && t.name !== '')
      throw new ApiError(404, 'NotFound', `${t.info.resource} are namespaced: use /namespaces/<namespace>/${t.info.resource}/${t.name}`);
    switch (req.method) {
      case 'GET': {
        if (t.name !== '') {
          await guard(req, 'get', res, t.namespace, t.name);
          return registry.get(t.info, t.namespace, t.name, q.resourceVersion ? { resourceVersion: q.resourceVersion } : {});
        }
        if (q.watch === 'true' || q.watch === '1') {
          await guard(req, 'watch', res, t.namespace, '');
          return startWatch(req, reply, t, q);
        }
        await guard(req, 'list', res, t.namespace, '');
        return registry.list(t.info, t.namespace, listOptions(q));
      }
      case 'POST': {
        if (t.name !== '' || t.subresource !== '') throw new ApiError(405, 'MethodNotAllowed', `POST is not supported on ${req.url}: post to the collection`);
        if (q.dryRun) throw badRequest('dryRun is not supported');
        const meta = typeof req.body === 'object' && req.body !== null ? (req.body as { metadata?: { name?: unknown } }).metadata : undefined;
        await guard(req, 'create', res, t.namespace, typeof meta?.name === 'string' ? meta.name : '');
        const created = await registry.create(t.info, t.namespace, req.body);
        return reply.code(201).send(created);
      }
      case 'PUT':
        if (t.name === '') throw new ApiError(405, 'MethodNotAllowed', 'PUT needs an object name in the URL');
        await guard(req, 'update', res, t.namespace, t.name);
        return registry.update(t.info, t.namespace, t.name, req.body, sub);
      case 'PATCH': {
        if (t.name === '') throw new ApiError(405, 'MethodNotAllowed', 'PATCH needs an object name in the URL');
        const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
        const type = PATCH_TYPES[ct];
        if (type === undefined)
          throw new ApiError(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json (got ${JSON.stringify(ct)})`,
          );
        await guard(req, 'patch', res, t.namespace, t.name);
        return registry.patch(t.info, t.namespace, t.name, req.body, type, sub);
      }
      case 'DELETE':
        if (t.name === '' || t.subresource !== '') throw new ApiError(405, 'MethodNotAllowed', 'DELETE needs an object name in the URL (deleting collections is not supported)');
        await guard(req, 'delete', res, t.namespace, t.name);
        return registry.delete(t.info, t.namespace, t.name, deleteOptions(q, req.body));
      default:
        throw new ApiError(405, 'MethodNotAllowed', `${req.method} is not supported`);
    }
  }

  function startWatch(req: FastifyRequest, reply: FastifyReply, t: Target, q: Query): FastifyReply {
    const lo = listOptions(q);
    const requested = intParam(q, 'timeoutSeconds');
    const timeoutSeconds = Math.min(requested ?? maxWatchSeconds, maxWatchSeconds);
    const w = registry.watch(t.info, t.namespace, {
      ...(lo.resourceVersion !== undefined ? { resourceVersion: lo.resourceVersion } : {}),
      ...(lo.labelSelector !== undefined ? { labelSelector: lo.labelSelector } : {}),
      ...(lo.fieldSelector !== undefined ? { fieldSelector: lo.fieldSelector } : {}),
    });
    // Hijack: the headers go out at once (clients see the watch started before the first event).
    reply.hijack();
    const res = reply.raw;
    // connection: close — a watch holds its connection for minutes; when it ends (timeout, server
    // closing) the socket goes too, so server.close() never waits on a finished watch's keep-alive.
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache', 'transfer-encoding': 'chunked', connection: 'close' });
    res.flushHeaders();
    const end = () => {
      if (!res.writableEnded) res.end();
    };
    watches.add(end);
    const timer = setTimeout(end, timeoutSeconds * 1000);
    const stop = () => {
      clearTimeout(timer);
      watches.delete(end);
      w.close();
    };
    res.on('close', stop);
    res.on('finish', stop);
    req.raw.on('close', end);
    void (async () => {
      try {
        for await (const ev of w) {
          if (res.writableEnded || res.destroyed) break;
          if (!res.write(`${JSON.stringify(ev)}\n`)) await new Promise((r) => res.once('drain', r));
          if (ev.type === 'ERROR') break;
        }
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', e instanceof Error ? e.message : String(e));
        if (!res.writableEnded) res.write(`${JSON.stringify({ type: 'ERROR', object: err.toStatus() })}\n`);
      } finally {
        end();
      }
    })();
    return reply;
  }

  /** `fixed`: a static discovery document; otherwise `grouped` tells `/apis/<group>/<version>/…` from `/api/<version>/…`. */
  const route = (url: string, grouped: boolean, fixed: Record<string, unknown> | null) =>
    app.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url,
      bodyLimit,
      handler: async (req, reply) => {
        if (fixed !== null) {
          await guard(req, 'get', url, '', '');
          return fixed;
        }
        const rest = ((req.params as { '*'?: string })['*'] ?? '').split('/').filter((s) => s !== '');
        const g = grouped ? (rest[0] ?? '') : '';
        const v = (grouped ? rest[1] : rest[0]) ?? '';
        const segs = rest.slice(grouped ? 2 : 1);
        if (v === '') {
          await guard(req, 'get', req.url.split('?')[0]!, '', '');
          throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${req.url})`);
        }
        return handle(req, reply, g, v, segs);
      },
    });
  route('/api', false, { kind: 'APIVersions', apiVersion: 'v1', versions: ['v1'] });
  route('/apis', true, groupList());
  route('/api/*', false, null);
  route('/apis/*', true, null);
}

/** The URL path of an object (for `vigil ctl` and Location headers). */
export function objectPath(info: ResourceInfo, namespace: string, name = ''): string {
  const base = info.group === '' ? `/api/${info.version}` : `/apis/${apiVersionOf(info)}`;
  const ns = info.namespaced && namespace !== '' ? `/namespaces/${namespace}` : '';
  return `${base}${ns}/${info.resource}${name !== '' ? `/${name}` : ''}`;
}
