/**
 * Web UI page weight and speed: the bundle's size (raw and gzip, built from the
 * current sources) and the time to first chart in headless Chromium — from
 * navigation start to the uPlot canvas having drawn the series of a range query
 * over seeded data (in-process server on 127.0.0.1), with a cold cache (new
 * browser context each run) and a warm one (reload in the same context).
 * Prints figures; never fails on timings. Run: `node dist/bench/ui_bench.js`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { buildBundle, CHROMIUM, CHROMIUM_ARGS, startUiServer } from '../test/ui_fixtures.js';

const RUNS = 7;
const PATH = '/query?g0.expr=rate(demo_requests_total%5B5m%5D)&g0.tab=0&g0.range_input=1h';

// Polls (every animation frame) until the chart's canvas has painted pixels; returns ms since navigation start.
const DRAWN = `(() => {
  const c = document.querySelector('.graph canvas');
  const g = c && c.getContext('2d');
  if (!g || c.width === 0) return false;
  const d = g.getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return performance.now();
  return false;
})()`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const bundle = buildBundle();
  try {
    console.log('bundle (dist/ui-web/assets, minified):');
    let raw = 0;
    let gz = 0;
    for (const f of readdirSync(join(bundle.dir, 'assets')).filter((n) => !n.endsWith('.gz'))) {
      const b = readFileSync(join(bundle.dir, 'assets', f));
      const z = gzipSync(b, { level: 9 }).length;
      raw += b.length;
      gz += z;
      console.log(`  ${f.padEnd(24)} ${(b.length / 1024).toFixed(1).padStart(7)} KiB raw ${(z / 1024).toFixed(1).padStart(7)} KiB gzip`);
    }
    const html = readFileSync(join(bundle.dir, 'index.html'));
    raw += html.length;
    gz += gzipSync(html).length;
    console.log(`  total incl. index.html    ${(raw / 1024).toFixed(1).padStart(7)} KiB raw ${(gz / 1024).toFixed(1).padStart(7)} KiB gzip`);
  } finally {
    bundle.remove();
  }

  if (!existsSync(CHROMIUM)) {
    console.log(`time to first chart: skipped (${CHROMIUM} not installed)`);
    return;
  }
  const s = await startUiServer();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await ctx.newPage();
      await page.goto(`${s.server.url}${PATH}`);
      cold.push(Number(await (await page.waitForFunction(DRAWN, null, { polling: 'raf', timeout: 20_000 })).jsonValue()));
      await page.reload();
      warm.push(Number(await (await page.waitForFunction(DRAWN, null, { polling: 'raf', timeout: 20_000 })).jsonValue()));
      await ctx.close();
    }
    const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}; ${xs.length} runs)`;
    console.log('time to first chart (navigation start → canvas drawn; 3 series over 1h at the automatic step, range query over HTTP):');
    console.log(`  cold cache: ${fmt(cold)}`);
    console.log(`  warm cache: ${fmt(warm)}`);
  } finally {
    await browser.close();
    await s.close();
  }
}

await main();
