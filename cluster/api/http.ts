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
 * and then `authorize(user, verb, resource, namespace, name, scope)` (deny → 403).
 * `resource` is the plural name, with `/status` or `/token` for subresources; for
 * discovery it is the URL path and namespace/name are ''. A list or watch whose
 * field selector pins `metadata.name=X` is authorized as naming X (as in
 * Kubernetes), and `scope` carries the selectors. The defaults allow
 * everything and say so in the log; cluster/auth/cluster_auth.ts supplies real ones.
 *
 * `POST …/namespaces/<ns>/serviceaccounts/<name>/token` (verb `create` on
 * `serviceaccounts/token`) answers a TokenRequest from the `tokenRequest` hook
 * (404 without one). After every request that is not a read (GET/HEAD), `audit`
 * receives who did what and the response code, just before the response is sent.
 * `POST /apis/authorization.vigil.dev/v1/accessreviews` (verb `create` on
 * `accessreviews`) lets node agents check a caller's token (`accessReview` hook).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, badRequest } from './api_error.js';
import { FieldSelectorError, parseFieldSelector } from './field_selector.js';
import { LabelSelectorError, parseSelector } from './label_selector.js';
import type { DeleteOptions, ListOptions, PatchType, Registry } from './registry.js';
import { type AgentClientTls, podLogRoutes } from './pod_log.js';
import { apiVersionOf, lookupResource, RESOURCES, type ResourceInfo } from './resources.js';

/** The authenticated caller. */
export interface ApiUser {
  name: string;
  groups: string[];
  /** Set for tokens confined to one namespace: no request outside it is allowed. */
  namespace?: string;
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** The selectors of a list or watch (empty strings otherwise), for authorizers that restrict by them. */
export interface RequestScope {
  readonly fieldSelector: string;
  readonly labelSelector: string;
}

/** One request that is not a read, as handed to `audit` (time in ms since the epoch). */
export interface AuditRecord {
  readonly timeMs: number;
  /** '' when the request was not authenticated. */
  readonly user: string;
  readonly groups: readonly string[];
  /** The authorized verb, or the HTTP method in lower case when the request failed before authorization. */
  readonly verb: string;
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
  readonly code: number;
  readonly sourceIP: string;
  readonly method: string;
  readonly uri: string;
}

/** Where node agents ask whether a caller's token allows a request (see `AccessReviewFn`). */
export const ACCESS_REVIEW_PATH = '/apis/authorization.vigil.dev/v1/accessreviews';

/**
 * Answers an access review: may the holder of `body.token` do `body.verb` on `body.resource` in
 * `body.namespace` named `body.name`? (The agent asks before serving logs; body unvalidated.)
 */
export type AccessReviewFn = (caller: ApiUser, body: unknown) => Promise<Record<string, unknown>>;

/** Answers a TokenRequest for the service account `name` in `namespace` (body: the request, unvalidated). */
export type TokenRequestFn = (user: ApiUser, namespace: string, name: string, body: unknown) => Promise<Record<string, unknown>>;

/** Who is calling; null = not authenticated (401). */
export type AuthenticateFn = (req: FastifyRequest) => ApiUser | null | Promise<ApiUser | null>;

/** May `user` do `verb` on `resource` (e.g. `pods`, `pods/status`) in `namespace` ('' = cluster/all) named `name` ('' = any)? */
export type AuthorizeFn = (
  user: ApiUser,
  verb: Verb,
  resource: string,
  namespace: string,
  name: string,
  scope?: RequestScope,
) => 'allow' | 'deny' | Promise<'allow' | 'deny'>;

export interface ClusterApiLogger {
  debug(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface ClusterApiOptions {
  /** The API server's client certificate for agents' TLS endpoints (pod logs); absent = plain HTTP to agents. */
  agentClientTls?: () => AgentClientTls | null;
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
  /** Serves `serviceaccounts/<name>/token`; default none (404). */
  tokenRequest?: TokenRequestFn;
  /** Receives every request that is not a read; must not block (queue the record). */
  audit?: (rec: AuditRecord) => void;
  /** Serves `POST ACCESS_REVIEW_PATH` (verb `create` on `accessreviews`); default none (404). */
  accessReview?: AccessReviewFn;
}

const ANONYMOUS: ApiUser = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** The verbs each resource supports, for discovery. */
const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

interface Target {
  info: ResourceInfo;
  namespace: string;
  name: string;
  subresource: '' | 'status' | 'token';
}

/** What `guard` decided a request is, kept for the audit record. */
interface Guarded {
  user: ApiUser | null;
  verb: string;
  resource: string;
  namespace: string;
  name: string;
}

/** `metadata.name=X` (or `==`) in a field selector: the one object a list/watch asks for; '' otherwise. */
export function selectorName(fieldSelector: string): string {
  for (const part of fieldSelector.split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*(\S+)\s*$/.exec(part);
    if (m !== null) return m[1]!;
  }
  return '';
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
  const isToken = sub === 'token' && info.resource === 'serviceaccounts';
  if (extra.length > 0 || (sub !== '' && sub !== 'status' && !isToken))
    throw new ApiError(404, 'NotFound', `the server could not find the requested resource: unknown subresource "${[sub, ...extra].join('/')}"`);
  if (sub === 'status' && !info.hasStatus) throw new ApiError(404, 'NotFound', `${info.resource} have no status subresource`);
  if (!info.namespaced && namespace !== '') throw new ApiError(404, 'NotFound', `${info.resource} are not namespaced`);
  return { info, namespace, name, subresource: sub === 'status' ? 'status' : isToken ? 'token' : '' };
}

function discovery(group: string, version: string): Record<string, unknown> {
  const resources: Record<string, unknown>[] = [];
  for (const i of RESOURCES) {
    if (i.group !== group || i.version !== version) continue;
    resources.push({ name: i.resource, singularName: i.kind.toLowerCase(), namespaced: i.namespaced, kind: i.kind, verbs: VERBS, shortNames: i.shortNames });
    if (i.hasStatus) resources.push({ name: `${i.resource}/status`, singularName: '', namespaced: i.namespaced, kind: i.kind, verbs: ['get', 'patch', 'update'] });
    if (i.resource === 'serviceaccounts') resources.push({ name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] });
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

/** Discovery documents are read with `get`; any other method is authorized as the write it would be. */
function discoveryVerb(req: FastifyRequest): Verb {
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      return 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    default:
      return 'delete';
  }
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

  /** The audit attributes of requests that reached `guard`. */
  const guarded = new WeakMap<FastifyRequest, Guarded>();
  const audit = opts.audit;
  if (audit !== undefined) {
    app.addHook('onSend', async (req, reply, payload) => {
      if (req.method === 'GET' || req.method === 'HEAD') return payload;
      const g = guarded.get(req);
      audit({
        timeMs: Date.now(),
        user: g?.user?.name ?? '',
        groups: g?.user?.groups ?? [],
        verb: g?.verb ?? req.method.toLowerCase(),
        resource: g?.resource ?? '',
        namespace: g?.namespace ?? '',
        name: g?.name ?? '',
        code: reply.statusCode,
        sourceIP: req.ip,
        method: req.method,
        uri: req.url.length > 2048 ? `${req.url.slice(0, 2048)}…` : req.url,
      });
      return payload;
    });
  }

  // Authentication comes first, before the body is parsed or the URL is looked at: a caller
  // without credentials learns nothing (every route of this plugin answers it 401).
  const users = new WeakMap<FastifyRequest, ApiUser>();
  app.addHook('onRequest', async (req) => {
    const user = await authenticate(req);
    if (user === null) {
      guarded.set(req, { user: null, verb: req.method.toLowerCase(), resource: '', namespace: '', name: '' });
      throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    }
    users.set(req, user);
  });

  async function guard(req: FastifyRequest, verb: Verb, resource: string, namespace: string, name: string, scope?: RequestScope): Promise<ApiUser> {
    const g: Guarded = { user: null, verb, resource, namespace, name };
    guarded.set(req, g);
    const user = users.get(req) ?? (await authenticate(req));
    if (user === null) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    g.user = user;
    const decision = await authorize(user, verb, resource, namespace, name, ...(scope !== undefined ? [scope] : []));
    if (allowAll) log?.debug('cluster API request allowed (no authorizer configured)', { user: user.name, verb, resource, namespace, name });
    if (decision !== 'allow') {
      // A caller without credentials is told to authenticate, not that it lacks permissions.
      if (user.groups.includes('system:unauthenticated')) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      const what = name !== '' ? `${resource} "${name}"` : resource;
      const where = namespace !== '' ? ` in the namespace "${namespace}"` : '';
      const group = RESOURCES.find((r) => r.resource === resource.split('/')[0])?.group ?? '';
      throw new ApiError(
        403,
        'Forbidden',
        `${what} is forbidden: User "${user.name}" cannot ${verb} resource "${resource}" in API group "${group}"${where}`,
      );
    }
    return user;
  }

  // GET …/pods/<name>/log (pod_log.ts), relayed from the node agent (over TLS with the API server's client certificate when it has one).
  await podLogRoutes(app, { registry, guard, ...(opts.agentClientTls ? { agentClientTls: opts.agentClientTls } : {}) });

  async function handle(req: FastifyRequest, reply: FastifyReply, group: string, version: string, segs: string[]): Promise<unknown> {
    const q = req.query as Query;
    if (segs.length === 0) {
      await guard(req, discoveryVerb(req), req.url.split('?')[0]!, '', '');
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError(405, 'MethodNotAllowed', `${req.method} is not supported on ${req.url}`);
      if (!RESOURCES.some((r) => r.group === group && r.version === version))
        throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${group}/${version})`);
      return discovery(group, version);
    }
    const t = parseTarget(group, version, segs);
    const res = t.subresource === '' ? t.info.resource : `${t.info.resource}/${t.subresource}`;
    const sub = t.subresource === 'status' ? { subresource: 'status' as const } : {};
    const scope: RequestScope = { fieldSelector: q.fieldSelector ?? '', labelSelector: q.labelSelector ?? '' };
    // Authorize first, then check the request's shape: a caller learns nothing about routes it may not use.
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    const isWatch = req.method === 'GET' && t.name === '' && (q.watch === 'true' || q.watch === '1');
    const pinned = t.name === '' && isRead ? selectorName(scope.fieldSelector) : '';
    const meta = typeof req.body === 'object' && req.body !== null ? (req.body as { metadata?: { name?: unknown } }).metadata : undefined;
    const verb: Verb = isRead ? (t.name !== '' ? 'get' : isWatch ? 'watch' : 'list') : discoveryVerb(req);
    const guardName = isRead ? (t.name !== '' ? t.name : pinned) : req.method === 'POST' && t.name === '' ? (typeof meta?.name === 'string' ? meta.name : '') : t.name;
    const user = await guard(req, verb, res, t.namespace, guardName, isRead && t.name === '' ? scope : undefined);
    if (t.subresource === 'token') {
      if (req.method !== 'POST') throw new ApiError(405, 'MethodNotAllowed', `${req.method} is not supported on ${req.url}: POST a TokenRequest`);
      if (opts.tokenRequest === undefined) throw new ApiError(404, 'NotFound', 'token requests are not enabled on this server');
      // The service account must exist (404 otherwise).
      await registry.get(t.info, t.namespace, t.name);
      return reply.code(201).send(await opts.tokenRequest(user, t.namespace, t.name, req.body));
    }
    if (t.info.namespaced && t.namespace === '' && t.name !== '')
      throw new ApiError(404, 'NotFound', `${t.info.resource} are namespaced: use /namespaces/<namespace>/${t.info.resource}/${t.name}`);
    switch (req.method) {
      case 'HEAD':
      case 'GET': {
        if (t.name !== '') return registry.get(t.info, t.namespace, t.name, q.resourceVersion ? { resourceVersion: q.resourceVersion } : {});
        if (isWatch) return startWatch(req, reply, t, q);
        return registry.list(t.info, t.namespace, listOptions(q));
      }
      case 'POST': {
        if (t.name !== '' || t.subresource !== '') throw new ApiError(405, 'MethodNotAllowed', `POST is not supported on ${req.url}: post to the collection`);
        if (q.dryRun) throw badRequest('dryRun is not supported');
        const created = await registry.create(t.info, t.namespace, req.body);
        return reply.code(201).send(created);
      }
      case 'PUT':
        if (t.name === '') throw new ApiError(405, 'MethodNotAllowed', 'PUT needs an object name in the URL');
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
        return registry.patch(t.info, t.namespace, t.name, req.body, type, sub);
      }
      case 'DELETE':
        if (t.name === '' || t.subresource !== '') throw new ApiError(405, 'MethodNotAllowed', 'DELETE needs an object name in the URL (deleting collections is not supported)');
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
          await guard(req, discoveryVerb(req), url, '', '');
          if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError(405, 'MethodNotAllowed', `${req.method} is not supported on ${url}`);
          return fixed;
        }
        const rest = ((req.params as { '*'?: string })['*'] ?? '').split('/').filter((s) => s !== '');
        const g = grouped ? (rest[0] ?? '') : '';
        const v = (grouped ? rest[1] : rest[0]) ?? '';
        const segs = rest.slice(grouped ? 2 : 1);
        if (v === '') {
          await guard(req, discoveryVerb(req), req.url.split('?')[0]!, '', '');
          throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${req.url})`);
        }
        return handle(req, reply, g, v, segs);
      },
    });
  app.post(ACCESS_REVIEW_PATH, { bodyLimit: 64 * 1024 }, async (req) => {
    const user = await guard(req, 'create', 'accessreviews', '', '');
    if (opts.accessReview === undefined) throw new ApiError(404, 'NotFound', 'access reviews are not enabled on this server');
    return opts.accessReview(user, req.body);
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
