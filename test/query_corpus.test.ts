/**
 * Acceptance over real-world PromQL: every expression of the Grafana dashboard
 * corpus (../shared/corpora/queries/dashboards.promql, all accepted by Prometheus)
 * and every eval expression of Prometheus's conformance scripts parses, and
 * survives parse → print → parse unchanged; every dashboard expression is
 * accepted by `/api/v1/query` (real engine over an empty in-memory storage).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import type { Expr } from '../query/ast.js';
import { Engine } from '../query/engine.js';
import { ParseError } from '../query/errors.js';
import { parseExpr } from '../query/parser.js';
import { queryApiPlugin } from '../query/http.js';
import { formatExpr, prettyExpr } from '../query/printer.js';
import { MemoryStorage } from '../tsdb/memory_storage.js';

const root = process.env['VIGIL_REPO_ROOT'] ?? fileURLToPath(new URL('../..', import.meta.url));
const shared = join(root, '..', 'shared');

function normalize(e: Expr): string {
  return JSON.stringify(e, (k, v: unknown) => {
    if (k === 'posRange') return undefined;
    if (k === 'func') return (v as { name: string }).name;
    if (k === 'matchers') return (v as { type: string; name: string; value: string }[]).map((m) => `${m.name}${m.type}${m.value}`).sort();
    return v;
  });
}

function dashboardExpressions(): string[] {
  const text = readFileSync(join(shared, 'corpora', 'queries', 'dashboards.promql'), 'utf8');
  return text.split('\n').filter((l) => l.length > 0);
}

/** `[file:line, expression, expectedToFail]` for every eval of the conformance scripts. */
function conformanceExpressions(): [string, string, boolean][] {
  const dir = join(shared, 'conformance', 'promql');
  const out: [string, string, boolean][] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.test')) continue;
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!.trim();
      const m =
        /^eval(?:_fail|_warn|_info|_ordered)?\s+instant\s+at\s+\S+\s+(.+)$/.exec(l) ??
        /^eval(?:_fail|_warn|_info|_ordered)?\s+range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+\s+(.+)$/.exec(l);
      if (m === null) continue;
      const next = (lines[i + 1] ?? '').trim();
      out.push([`${f}:${i + 1}`, m[1]!, l.startsWith('eval_fail') || next.startsWith('expect fail')]);
    }
  }
  return out;
}

describe('dashboard corpus', () => {
  const exprs = dashboardExpressions();
  test('has the 2,018 expressions', () => assert.equal(exprs.length, 2018));

  test('every expression parses', () => {
    const failed: string[] = [];
    for (const q of exprs) {
      try {
        parseExpr(q);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        failed.push(`${e.message}\n  ${q}`);
      }
    }
    assert.deepEqual(failed, []);
  });

  test('every expression round-trips through formatExpr and prettyExpr', () => {
    const bad: string[] = [];
    for (const q of exprs) {
      const a = parseExpr(q);
      const want = normalize(a);
      for (const printed of [formatExpr(a), prettyExpr(a)]) {
        if (normalize(parseExpr(printed)) !== want) bad.push(`${q}\n  printed as ${printed}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  test('every expression is accepted by /api/v1/query (form POST, as Grafana sends it)', async (t) => {
    const app = Fastify();
    const engine = new Engine({ timeoutMs: 10_000, maxSamples: 1_000_000, lookbackDeltaMs: 300_000, maxConcurrency: 4 });
    await app.register(queryApiPlugin, { queryable: new MemoryStorage(), engine, now: () => 1_700_000_000_000 });
    t.after(() => app.close());
    const rejected: string[] = [];
    for (const q of exprs) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/query',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ query: q, time: '1700000000' }).toString(),
      });
      if (r.statusCode !== 200) rejected.push(`${r.statusCode} ${r.body}\n  ${q}`);
    }
    assert.deepEqual(rejected, []);
  });
});

describe('conformance script expressions', () => {
  const evals = conformanceExpressions();
  test('there are 2,214 evals', () => assert.equal(evals.length, 2214));

  test('every eval expected to succeed parses and round-trips', () => {
    const bad: string[] = [];
    for (const [where, q, expectFail] of evals) {
      let a: Expr;
      try {
        a = parseExpr(q);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        if (!expectFail) bad.push(`${where}: ${e.message}`);
        continue;
      }
      const printed = formatExpr(a);
      if (normalize(parseExpr(printed)) !== normalize(a)) bad.push(`${where}: ${q} printed as ${printed}`);
    }
    assert.deepEqual(bad, []);
  });
});
