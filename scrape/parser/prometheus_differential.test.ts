/**
 * Differential test against a real Prometheus 2.42 (/usr/bin/prometheus): every body —
 * the exposition conformance files, the hand-written text cases and all OpenMetrics
 * project cases — is served from a local HTTP server as its own scrape target. Prometheus
 * scrapes them (1s interval); then, per target, `up` must match whether our parser accepts
 * the body, and for accepted bodies the series Prometheus stored (labels and values)
 * must equal what our parser produced.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { conformanceDir, openMetricsCases, TEXT_CASES } from './_test_bodies.js';
import { type ExpositionFormat, parserFor } from './content_type.js';
import { ParseError } from './parse_error.js';
import { Entry } from './parser.js';

const PROMETHEUS = '/usr/bin/prometheus';
const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};
const REPORT_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']);

/** Prometheus's own per-target series: a report name and only the target labels (job, instance, target). */
function isReportSeries(m: Record<string, string>): boolean {
  return REPORT_SERIES.has(m.__name__ ?? '') && Object.keys(m).length === 4;
}

interface Target {
  readonly name: string;
  readonly format: ExpositionFormat;
  readonly body: Uint8Array;
}

function targets(): Target[] {
  const out: Target[] = [];
  const dir = join(conformanceDir(), 'exposition');
  for (const f of ['alltypes.237mfs.prom.txt', 'alltypes.237mfs.nometa.prom.txt']) {
    out.push({ name: `file_${f}`, format: 'text', body: readFileSync(join(dir, 'textparse', f)) });
  }
  out.push({ name: 'file_metrics-test.prom', format: 'text', body: readFileSync(join(dir, 'promtool', 'metrics-test.prom')) });
  for (const f of ['alltypes.5mfs.om.txt', '1histogram.om.txt']) {
    out.push({ name: `file_${f}`, format: 'openmetrics', body: readFileSync(join(dir, 'textparse', f)) });
  }
  for (const f of ['dump-openmetrics-test.prom', 'dump-openmetrics-roundtrip-test.prom']) {
    out.push({ name: `file_${f}`, format: 'openmetrics', body: readFileSync(join(dir, 'promtool', f)) });
  }
  for (const c of TEXT_CASES) out.push({ name: `text_${c.name}`, format: 'text', body: c.body });
  for (const c of openMetricsCases()) out.push({ name: `om_${c.name}`, format: 'openmetrics', body: c.body });
  return out;
}

/** What our parser makes of a body, as Prometheus would store it for target label `target`. */
function ourSeries(t: Target): Map<string, number> | ParseError {
  const p = parserFor(t.format, t.body);
  const out = new Map<string, number>();
  try {
    for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
      if (e !== Entry.Series) continue;
      const rec = p.labels().toRecord();
      // Target labels win; clashing exposed labels are renamed exported_<name> (honor_labels: false).
      for (const [k, v] of [['job', 'diff'], ['instance', 'local'], ['target', t.name]] as const) {
        if (rec[k] !== undefined) {
          let name = `exported_${k}`;
          while (rec[name] !== undefined) name = `exported_${name}`;
          rec[name] = rec[k];
        }
        rec[k] = v;
      }
      const key = seriesKey(rec);
      // Within one scrape the first sample of a duplicated series wins.
      if (!out.has(key)) out.set(key, p.value());
    }
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  return out;
}

function seriesKey(rec: Record<string, string>): string {
  return JSON.stringify(Object.keys(rec).sort().map((k) => [k, rec[k]]));
}

function promValue(s: string): number {
  if (s === '+Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(s);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(base: string, q: string): Promise<PromResult[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { status: string; data?: { result: PromResult[] } };
  if (body.status !== 'success' || body.data === undefined) throw new Error(`query ${q} failed: ${JSON.stringify(body)}`);
  return body.data.result;
}

/**
 * Bodies Prometheus 2.42 rejects but current Prometheus (the grammar Vigil follows, see
 * model/textparse at 3.x) accepts. Tolerated in either direction, so the test also passes
 * against a newer Prometheus.
 */
const KNOWN_DIFFERENCES_2_42: Record<string, string> = {
  om_bad_exemplars_on_unallowed_metric_types_0: '2.42 allowed exemplars only on _total/_bucket series; 3.x on any series',
  om_bad_exemplars_on_unallowed_metric_types_1: '2.42 allowed exemplars only on _total/_bucket series; 3.x on any series',
  om_bad_exemplars_on_unallowed_metric_types_2: '2.42 allowed exemplars only on _total/_bucket series; 3.x on any series',
  om_bad_exemplars_on_unallowed_samples_0: '2.42 allowed exemplars only on _total/_bucket series; 3.x on any series',
  om_bad_exemplars_on_unallowed_samples_1: '2.42 allowed exemplars only on _total/_bucket series; 3.x on any series',
  om_bad_exemplars_on_unallowed_samples_3: '2.42 allowed exemplars only on _total/_bucket series; 3.x on any series',
  om_bad_missing_or_extra_commas_2: '2.42 rejected a trailing comma in OpenMetrics label sets; 3.x accepts it',
};

const available = existsSync(PROMETHEUS);

describe('differential against Prometheus 2.42', { skip: available ? false : `${PROMETHEUS} is not installed` }, () => {
  const all = targets();
  const byName = new Map(all.map((t) => [t.name, t]));
  let server: Server | undefined;
  let prom: ChildProcess | undefined;
  let dir = '';
  let promLog = '';
  let up = new Map<string, number>();
  let lastError = new Map<string, string>();
  let stored = new Map<string, Map<string, number>>();

  before(async () => {
    server = createServer((req, res) => {
      const name = decodeURIComponent((req.url ?? '').replace(/^\/t\//, '').replace(/\?.*$/, ''));
      const t = byName.get(name);
      if (t === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': CONTENT_TYPES[t.format] }).end(t.body);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    dir = mkdtempSync(join(tmpdir(), 'vigil-promdiff-'));
    const statics = all.map((t) => `      - targets: ['127.0.0.1:${port}']\n        labels: {instance: local, target: '${t.name}', __metrics_path__: '/t/${encodeURIComponent(t.name)}'}`);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: {scrape_interval: 1s, scrape_timeout: 900ms}\nscrape_configs:\n  - job_name: diff\n    honor_timestamps: false\n    static_configs:\n${statics.join('\n')}\n`,
    );
    const promPort = await freePort();
    prom = spawn(
      PROMETHEUS,
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prom.stderr!.on('data', (d: Buffer) => {
      if (promLog.length < 20_000) promLog += d.toString();
    });
    const base = `http://127.0.0.1:${promPort}`;
    // Poll until every target has been scraped once (bounded).
    const deadline = Date.now() + 45_000;
    for (;;) {
      try {
        const r = await query(base, 'scrape_samples_scraped{job="diff"}');
        if (r.length === all.length) break;
      } catch {
        // Not up yet.
      }
      if (Date.now() > deadline) throw new Error(`Prometheus did not scrape all ${all.length} targets in time; log:\n${promLog}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    up = new Map((await query(base, 'up{job="diff"}')).filter((r) => isReportSeries(r.metric)).map((r) => [r.metric.target!, promValue(r.value[1])]));
    const tr = (await (await fetch(`${base}/api/v1/targets?state=active`)).json()) as {
      data: { activeTargets: { labels: Record<string, string>; lastError: string }[] };
    };
    lastError = new Map(tr.data.activeTargets.map((a) => [a.labels.target ?? '', a.lastError]));
    stored = new Map();
    for (const r of await query(base, '{job="diff"}')) {
      if (isReportSeries(r.metric)) continue;
      const target = r.metric.target!;
      let m = stored.get(target);
      if (m === undefined) stored.set(target, (m = new Map()));
      m.set(seriesKey(r.metric), promValue(r.value[1]));
    }
  });

  after(async () => {
    prom?.kill('SIGTERM');
    if (prom !== undefined && prom.exitCode === null) await new Promise((r) => prom!.once('exit', r));
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('every body is accepted or rejected exactly as Prometheus does', () => {
    const mismatches: string[] = [];
    for (const t of all) {
      const ours = ourSeries(t);
      const promOk = up.get(t.name) === 1;
      if ((ours instanceof ParseError) === promOk) {
        if (KNOWN_DIFFERENCES_2_42[t.name] !== undefined) continue;
        mismatches.push(`${t.name}: Prometheus up=${up.get(t.name)} (${lastError.get(t.name)}), ours ${ours instanceof ParseError ? `rejects (${ours.message})` : 'accepts'}`);
      }
    }
    assert.deepEqual(mismatches, []);
  });

  test('accepted bodies give the same series and values as Prometheus stored', () => {
    let compared = 0;
    const diffs: string[] = [];
    for (const t of all) {
      const ours = ourSeries(t);
      if (ours instanceof ParseError || up.get(t.name) !== 1) continue;
      const theirs = stored.get(t.name) ?? new Map<string, number>();
      for (const [k, v] of ours) {
        const pv = theirs.get(k);
        if (pv === undefined) diffs.push(`${t.name}: Prometheus lacks ${k.slice(0, 200)}`);
        else if (!(Object.is(pv, v) || pv === v)) diffs.push(`${t.name}: ${k.slice(0, 200)} Prometheus ${pv} ours ${v}`);
        compared++;
      }
      for (const k of theirs.keys()) if (!ours.has(k)) diffs.push(`${t.name}: we lack ${k.slice(0, 200)}`);
    }
    assert.deepEqual(diffs.slice(0, 20), []);
    // The conformance files alone hold over 3,700 series; make sure they were really compared.
    assert.ok(compared > 3700, `only ${compared} series compared`);
  });
});
