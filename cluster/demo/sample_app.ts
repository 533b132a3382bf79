/**
 * The quick-start demo's sample web app, run by the node agent as the pods of
 * Deployment `demo/web` (`node dist/cluster/demo/sample_app.js`). A standalone
 * script with no dependencies, so each pod starts fast and stays small:
 *
 *   GET /          a little CPU work (hashing, `WORK_ITERATIONS` rounds), then a short text answer
 *   GET /healthz   200 "ok" (readiness probe)
 *   GET /metrics   Prometheus text format:
 *                    http_requests_total{code}                 counter
 *                    http_request_duration_seconds{le}         histogram of `/` latency
 *                    demo_app_info{version}                    gauge 1
 *   anything else  404
 *
 * Listens on `$PORT` (the agent allocates it; default 8080) on 127.0.0.1 unless
 * `$HOST` says otherwise. Logs one line at start, one every `LOG_EVERY` requests
 * and one on shutdown, so `vigil ctl logs` and the UI's logs tail show something.
 * SIGTERM closes the listener and exits once in-flight requests finish.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';

const VERSION = '1.0.0';
/** Hashing rounds per `/` request: about a millisecond of CPU. */
const WORK_ITERATIONS = Number(process.env.WORK_ITERATIONS ?? '400');
const LOG_EVERY = 100;
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

const requests = new Map<string, number>();
const bucketCounts = new Float64Array(BUCKETS.length);
let durationSum = 0;
let durationCount = 0;
let served = 0;

function log(msg: string): void {
  process.stdout.write(`${new Date().toISOString()} ${msg}\n`);
}

function count(code: number): void {
  const k = String(code);
  requests.set(k, (requests.get(k) ?? 0) + 1);
}

function observe(seconds: number): void {
  for (let i = 0; i < BUCKETS.length; i++) if (seconds <= (BUCKETS[i] ?? 0)) bucketCounts[i] = (bucketCounts[i] ?? 0) + 1;
  durationSum += seconds;
  durationCount++;
}

/** The metrics in the Prometheus text format. */
export function metricsText(): string {
  const lines = ['# HELP http_requests_total Requests served, by status code.', '# TYPE http_requests_total counter'];
  for (const [code, n] of [...requests].sort()) lines.push(`http_requests_total{code="${code}"} ${n}`);
  lines.push('# HELP http_request_duration_seconds Latency of requests to /.', '# TYPE http_request_duration_seconds histogram');
  for (const [i, b] of BUCKETS.entries()) lines.push(`http_request_duration_seconds_bucket{le="${b}"} ${bucketCounts[i] ?? 0}`);
  lines.push(`http_request_duration_seconds_bucket{le="+Inf"} ${durationCount}`);
  lines.push(`http_request_duration_seconds_sum ${durationSum}`, `http_request_duration_seconds_count ${durationCount}`);
  lines.push('# HELP demo_app_info The sample app version.', '# TYPE demo_app_info gauge', `demo_app_info{version="${VERSION}"} 1`);
  return `${lines.join('\n')}\n`;
}

function work(): string {
  let h = String(Math.random());
  for (let i = 0; i < WORK_ITERATIONS; i++) h = createHash('sha256').update(h).digest('hex');
  return h.slice(0, 12);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    count(405);
    res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
    return;
  }
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metricsText());
    return;
  }
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (path !== '/') {
    count(404);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  const start = process.hrtime.bigint();
  const token = work();
  count(200);
  observe(Number(process.hrtime.bigint() - start) / 1e9);
  served++;
  if (served % LOG_EVERY === 0) log(`served ${served} requests (pid ${process.pid})`);
  res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello from ${process.env.HOSTNAME ?? 'the demo app'} (${token})\n`);
}

function main(): void {
  const port = Number(process.env.PORT ?? '8080');
  const host = process.env.HOST ?? '127.0.0.1';
  const server = createServer(handle);
  server.keepAliveTimeout = 5000;
  server.listen(port, host, () => log(`demo web app ${VERSION} listening on ${host}:${port} (pid ${process.pid})`));
  const stop = (signal: string) => {
    log(`received ${signal} after ${served} requests: shutting down`);
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

// Run only as the main script (tests import `metricsText`).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
