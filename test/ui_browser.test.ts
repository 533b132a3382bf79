/**
 * The web UI in real headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against an in-process server with seeded data: every page
 * loads without console errors, graphs draw one series per result series,
 * tables show the stored values, syntax errors are marked at their position,
 * autocomplete offers metrics and label values, label values containing HTML
 * render as text, `/graph?g0.expr=…` links open the expression browser, and the
 * targets list stays virtualised with thousands of targets. Screenshots of the
 * main pages are written to docs/screenshots/ with VIGIL_UPDATE_SCREENSHOTS=1.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { BULK_TARGETS, CHROMIUM, CHROMIUM_ARGS, HTML_VALUE, REPO_ROOT, REQUEST_INSTANCES, startUiServer, TEMPERATURES, TSDB_STATUS, tsdbStatusFixturePart, openPage } from './ui_fixtures.js';

/**
 * Screenshots go to docs/screenshots/ (the README shows them) when VIGIL_UPDATE_SCREENSHOTS=1,
 * otherwise to a temp dir, so that a plain `npm test` does not rewrite tracked files.
 */
const SHOTS = process.env.VIGIL_UPDATE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs', 'screenshots') : join(tmpdir(), 'vigil-ui-screenshots');
const haveChromium = existsSync(CHROMIUM);

describe('web UI in Chromium', { skip: haveChromium ? false : `${CHROMIUM} is not installed (test/debian-packages.txt lists it)` }, () => {
  let browser: Browser;
  let context: BrowserContext;
  let base = '';
  let close: () => Promise<void> = async () => {};
  /** Console errors and uncaught exceptions per page, except the expected 404 of endpoints this server lacks. */
  const problems = new Map<Page, string[]>();

  before(async () => {
    const s = await startUiServer();
    close = s.close;
    base = s.server.url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await close();
  });

  async function open(path: string): Promise<Page> {
    // The TSDB status endpoint does not exist on this server: its 404 is the state under test.
    return openPage(context, `${base}${path}`, problems, /\/api\/v1\/status\/tsdb/);
  }

  /** Asserts no console errors or page errors, except those matching `expected` (e.g. the 400 of a bad query). */
  function noProblems(page: Page, expected?: RegExp): void {
    const list = (problems.get(page) ?? []).filter((p) => expected === undefined || !expected.test(p));
    assert.deepEqual(list, [], 'no console errors or page errors');
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  }

  /** How many pixels of the uPlot canvas are not transparent. */
  async function drawnPixels(page: Page): Promise<number> {
    // Evaluated in the page (a string, as this file is compiled without DOM types).
    const n = await page.evaluate(`(() => {
      const c = document.querySelector('.graph canvas');
      const g = c && c.getContext('2d');
      if (!g) return 0;
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    })()`);
    return typeof n === 'number' ? n : 0;
  }

  test('a range query draws one uPlot series per result series with a legend of their labels', async () => {
    const page = await open('/query?g0.expr=rate(demo_requests_total%5B5m%5D)&g0.tab=0&g0.range_input=1h');
    await page.waitForSelector('.graph canvas');
    const legend = await page.$$eval('.graph .u-legend .u-series', (els) => els.map((e) => e.textContent ?? ''));
    // The first legend entry is the x axis (time).
    assert.equal(legend.length - 1, REQUEST_INSTANCES.length);
    for (const inst of REQUEST_INSTANCES) assert.ok(legend.some((l) => l.includes(`instance="${inst}"`)), `legend names ${inst}`);
    assert.ok((await drawnPixels(page)) > 500, 'the canvas has drawn lines');
    // Hovering the plot shows the values under the cursor in the legend (rates 10/6, 20/6… per second → finite numbers).
    const over = await page.$('.graph .u-over');
    const box = await over?.boundingBox();
    assert.ok(box !== null && box !== undefined);
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
    const values = await page.$$eval('.graph .u-legend .u-series .u-value', (els) => els.slice(1).map((e) => e.textContent ?? ''));
    assert.deepEqual(
      values.map((v) => Number(v)).sort((a, b) => a - b),
      REQUEST_INSTANCES.map((_, k) => ((k + 1) * 10) / 15).map((v) => Math.round(v * 1e6) / 1e6),
    );
    await page.mouse.move(0, 0);
    await shot(page, 'query_graph');
    noProblems(page);
    await page.close();
  });

  test('stacked mode keeps one series per result and redraws', async () => {
    const page = await open('/query?g0.expr=demo_temperature_celsius&g0.tab=0&g0.stacked=1');
    await page.waitForSelector('.graph canvas');
    assert.equal((await page.$$('.graph .u-legend .u-series')).length - 1, TEMPERATURES.length);
    assert.ok((await drawnPixels(page)) > 500);
    assert.equal(await page.isChecked('.controls input.stacked'), true);
    noProblems(page);
    await page.close();
  });

  test('the table view shows the stored values of each series', async () => {
    const page = await open('/query?g0.expr=demo_temperature_celsius&g0.tab=1');
    await page.waitForSelector('.result-table tbody tr');
    const rows = await page.$$eval('.result-table tbody tr', (trs) => trs.map((tr) => [tr.children[0]?.textContent ?? '', tr.children[1]?.textContent ?? '']));
    assert.equal(rows.length, TEMPERATURES.length);
    for (const [room, v] of TEMPERATURES) {
      const row = rows.find((r) => r[0]?.includes(`room="${room}"`));
      assert.ok(row !== undefined, `row for ${room}`);
      assert.equal(Number(row[1]), v);
    }
    await shot(page, 'query_table');
    noProblems(page);
    await page.close();
  });

  test('a syntax error is marked at the line and column the server reports', async () => {
    const page = await open('/query');
    const expr = 'demo_requests_total{job="demo"} * * 2';
    await page.fill('textarea.expr', expr);
    await page.press('textarea.expr', 'Enter');
    await page.waitForSelector('.error-pos');
    // The second '*' is the unexpected token.
    const at = expr.lastIndexOf('*');
    assert.match((await page.textContent('.error-msg')) ?? '', new RegExp(`1:${at + 1}: parse error`));
    assert.equal(await page.getAttribute('.error-pos', 'data-col'), String(at + 1));
    assert.equal(await page.textContent('.error-pos mark.error-at'), '*');
    assert.equal(((await page.textContent('.error-pos .caret')) ?? '').indexOf('^'), at);
    assert.equal(await page.textContent('.error-pos .error-line'), expr);
    await shot(page, 'query_error');
    noProblems(page, /status of 400 \(Bad Request\) \(http:[^)]*\/api\/v1\/query\?/);
    await page.close();
  });

  test('autocomplete offers metric names, functions and label values', async () => {
    const page = await open('/query');
    await page.click('textarea.expr');
    await page.keyboard.type('demo_req');
    await page.waitForSelector('.completions li');
    const offered = await page.$$eval('.completions li', (lis) => lis.map((li) => li.getAttribute('data-insert')));
    assert.ok(offered.includes('demo_requests_total'), `offered ${offered.join(', ')}`);
    await page.keyboard.press('Tab');
    assert.equal(await page.inputValue('textarea.expr'), 'demo_requests_total');

    await page.fill('textarea.expr', '');
    await page.keyboard.type('histogram_q');
    await page.waitForSelector('.completions li.kind-function');
    assert.ok((await page.$$eval('.completions li', (lis) => lis.map((li) => li.getAttribute('data-insert')))).includes('histogram_quantile('));

    await page.fill('textarea.expr', '');
    await page.keyboard.type('demo_temperature_celsius{room="');
    await page.waitForSelector('.completions li.kind-value');
    const rooms = await page.$$eval('.completions li', (lis) => lis.map((li) => li.getAttribute('data-insert')));
    assert.deepEqual([...rooms].sort(), TEMPERATURES.map(([r]) => r).sort());
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    assert.match(await page.inputValue('textarea.expr'), /^demo_temperature_celsius\{room="(kitchen|hall|cellar)$/);
    noProblems(page);
    await page.close();
  });

  test('label values containing HTML render as text in results, legends, targets and alerts', async () => {
    for (const path of ['/query?g0.expr=demo_html_labels&g0.tab=1', '/query?g0.expr=demo_html_labels&g0.tab=0', '/targets?pool=node', '/alerts']) {
      const page = await open(path);
      if (path.startsWith('/alerts')) {
        await page.waitForSelector('details.alert-rule[data-rule="HighErrorRate"]');
        await page.click('details.alert-rule[data-rule="HighErrorRate"] summary');
      }
      await page.waitForFunction(`document.body.textContent.includes(${JSON.stringify(HTML_VALUE)})`);
      assert.equal(await page.$$eval('main img, main b', (els) => els.length), 0, `${path}: no element was created from the label value`);
      assert.equal(await page.evaluate('window.__xss'), undefined);
      noProblems(page);
      await page.close();
    }
  });

  test('/graph?g0.expr=… links (alert generatorURLs) open the expression browser with that query', async () => {
    const page = await open('/graph?g0.expr=up&g0.tab=1');
    await page.waitForSelector('.result-table tbody tr');
    assert.equal(await page.inputValue('textarea.expr'), 'up');
    assert.equal(new URL(page.url()).pathname, '/query');
    assert.equal(new URL(page.url()).searchParams.get('g0.expr'), 'up');
    assert.equal(await page.textContent('.result-table tbody tr td.value'), '1');
    noProblems(page);
    await page.close();
  });

  test('several panels live in the URL, so a page can be shared', async () => {
    const page = await open('/query?g0.expr=up&g0.tab=1');
    await page.click('button.add-panel');
    const second = page.locator('.panel').nth(1).locator('textarea.expr');
    await second.fill('demo_temperature_celsius');
    await second.press('Enter');
    await page.locator('.panel').nth(1).locator('.result-table').waitFor();
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('g0.expr'), 'up');
    assert.equal(url.searchParams.get('g1.expr'), 'demo_temperature_celsius');
    const again = await open(`${url.pathname}${url.search}`);
    await again.locator('.panel').nth(1).locator('.result-table').waitFor();
    assert.equal(await again.locator('.panel').count(), 2);
    noProblems(page);
    noProblems(again);
    await page.close();
    await again.close();
  });

  test('targets: grouped by pool, health and errors shown, thousands of rows virtualised, filters work', async () => {
    const page = await open('/targets');
    await page.waitForSelector('.target-row');
    const total = BULK_TARGETS + 4;
    assert.equal(await page.textContent('.toolbar .summary'), `${total} of ${total} targets`);
    const rendered = await page.$$eval('.target-row', (r) => r.length);
    assert.ok(rendered > 5 && rendered < 200, `only visible rows are in the DOM (${rendered})`);
    assert.equal(await page.textContent('.pool-row .pool-name'), 'bulk');
    assert.equal(await page.textContent('.pool-row .badge'), `${BULK_TARGETS - BULK_TARGETS / 100} / ${BULK_TARGETS} up`);
    // Collapse the bulk pool for the screenshot, so the small pools and the failing target show.
    await page.click('.pool-row[data-pool="bulk"]');
    await page.waitForSelector('.pool-row[data-pool="node"]');
    await shot(page, 'targets');
    await page.click('.pool-row[data-pool="bulk"]');
    // Health filter: down only (every 100th bulk target from index 7, plus node-2).
    await page.check('.toolbar .health-down input');
    const down = BULK_TARGETS / 100 + 1;
    assert.equal(await page.textContent('.toolbar .summary'), `${down} of ${total} targets`);
    // Text filter narrows to node-2, whose error is shown.
    await page.fill('.toolbar .search', 'node-2');
    await page.waitForFunction(`document.querySelector('.toolbar .summary').textContent === '1 of ${total} targets'`);
    assert.match((await page.textContent('.target-row .terror')) ?? '', /connection refused/);
    assert.match(new URL(page.url()).search, /health=down/);
    // Scrolling to the end renders the last rows.
    await page.fill('.toolbar .search', '');
    await page.uncheck('.toolbar .health-down input');
    await page.$eval('.vlist', (el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForFunction(`[...document.querySelectorAll('.target-row .endpoint a')].some((a) => a.textContent.includes('localhost:9090'))`);
    assert.deepEqual(await page.$$eval('.pool-row .pool-name', (e) => e.map((x) => x.textContent)), ['node', 'vigil']);
    noProblems(page);
    await page.close();
  });

  test('service discovery, alerts, rules, configuration, flags and status pages load and show their data', async () => {
    const sd = await open('/service-discovery');
    await sd.waitForSelector('.sd-row');
    await shot(sd, 'service_discovery');
    await sd.fill('.toolbar .search', 'node-9');
    await sd.waitForSelector('.sd-row.dropped');
    assert.match((await sd.textContent('.sd-row.dropped')) ?? '', /__meta_role="ignored"/);
    assert.equal(await sd.$$eval('.sd-row', (r) => r.length), 1);

    const alerts = await open('/alerts');
    await alerts.waitForSelector('details.alert-rule');
    assert.match((await alerts.textContent('.toolbar .summary')) ?? '', /inactive \(1\) · pending \(0\) · firing \(1\)/);
    await alerts.click('details.alert-rule[data-rule="HighErrorRate"] summary');
    await alerts.waitForSelector('.alerts-table tbody tr');
    const rows = await alerts.$$eval('.alerts-table tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    assert.equal(rows.length, 2);
    // Active for 5 minutes when the fixture answered; a slow machine may render a few seconds later.
    assert.ok(rows.every((r) => r.includes('firing') && /[^0-9]5m(\d+s)? ago/.test(r)), rows.join('\n'));
    await shot(alerts, 'alerts');

    const rules = await open('/rules');
    await rules.waitForSelector('.rules-table tbody tr');
    assert.equal(await rules.$$eval('.rules-table tbody tr', (r) => r.length), 4);
    assert.match((await rules.textContent('.rule-row.health-err')) ?? '', /found duplicate series/);
    await shot(rules, 'rules');

    const config = await open('/config');
    await config.waitForSelector('.config-yaml');
    assert.match((await config.textContent('.config-yaml')) ?? '', /scrape_configs|global:/);

    const flags = await open('/flags');
    await flags.waitForSelector('table.flags tr');
    assert.ok((await flags.$$eval('table.flags tr', (r) => r.map((x) => x.textContent ?? ''))).some((t) => t.startsWith('--web.listen-address')));

    const status = await open('/status');
    await status.waitForFunction(`document.querySelectorAll('.page-body[data-state="loaded"]').length === 2`);
    assert.match((await status.textContent('main')) ?? '', /Start time/);
    await shot(status, 'status');

    const tsdb = await open('/tsdb-status');
    await tsdb.waitForSelector('.not-available');
    assert.match((await tsdb.textContent('.not-available')) ?? '', /Not available/);

    for (const p of [sd, alerts, rules, config, flags, status, tsdb]) {
      noProblems(p);
      await p.close();
    }
  });
});

describe('web UI under --web.route-prefix in Chromium', { skip: haveChromium ? false : `${CHROMIUM} is not installed` }, () => {
  test('assets, API calls and navigation stay under the prefix', async (t) => {
    const s = await startUiServer(['--web.route-prefix=/monitoring'], [tsdbStatusFixturePart]);
    t.after(() => s.close());
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    t.after(() => browser.close());
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    assert.match(s.server.url, /\/monitoring$/);
    await page.goto(`${s.server.url}/graph?g0.expr=up&g0.tab=1`);
    await page.waitForSelector('.result-table tbody tr');
    assert.equal(new URL(page.url()).pathname, '/monitoring/query');
    assert.equal(await page.textContent('.result-table td.value'), '1');
    // Client-side navigation keeps the prefix.
    await page.click('nav a[data-path="/rules"]');
    await page.waitForSelector('.rules-table');
    assert.equal(new URL(page.url()).pathname, '/monitoring/rules');
    // Back returns to the expression browser with its query.
    await page.goBack();
    await page.waitForSelector('.result-table tbody tr');
    assert.equal(await page.inputValue('textarea.expr'), 'up');
    // Where the storage provides TSDB statistics, the page shows the head and the top lists.
    await page.click('nav a[data-path="/tsdb-status"]');
    await page.waitForSelector('.top-seriesCountByMetricName');
    assert.match((await page.textContent('table.kv')) ?? '', /Number of series8/);
    assert.deepEqual(
      await page.$$eval('.top-seriesCountByMetricName tbody tr', (trs) => trs.map((tr) => tr.textContent)),
      TSDB_STATUS.seriesCountByMetricName.map((e) => `${e.name}${e.value}`),
    );
    await page.screenshot({ path: join(SHOTS, 'tsdb_status.png') });
    assert.deepEqual(errors, []);
  });
});
