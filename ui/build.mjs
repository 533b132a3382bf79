#!/usr/bin/env node
// Bundles the web UI (ui/app/main.ts and its CSS) with esbuild into dist/ui-web/:
//   assets/main-<hash>.js, assets/main-<hash>.css (+ .gz beside each, served pre-compressed)
//   index.html referencing the hashed names, with a `<base href>` placeholder that
//   ui/http.ts fills with the route prefix at serve time.
// Runs at build time only (`node ui/build.mjs`); the server never loads esbuild.
// Options: --dev (no minify, inline source maps), --outdir=DIR (default dist/ui-web; tests build into a temp dir).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outArg = process.argv.find((a) => a.startsWith('--outdir='));
const out = outArg === undefined ? join(root, 'dist', 'ui-web') : resolve(outArg.slice('--outdir='.length));
const assets = join(out, 'assets');
const dev = process.argv.includes('--dev');

/** The placeholder ui/http.ts replaces with `<prefix>/`. */
const BASE_PLACEHOLDER = '%VIGIL_BASE_HREF%';

rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: [join(root, 'ui', 'app', 'main.ts')],
  bundle: true,
  minify: !dev,
  sourcemap: dev ? 'inline' : false,
  format: 'esm',
  target: ['es2020', 'chrome90', 'firefox88', 'safari14'],
  outdir: assets,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  charset: 'utf8',
});

let js = '';
let css = '';
for (const file of Object.keys(result.metafile.outputs)) {
  const name = basename(file);
  if (name.endsWith('.js')) js = name;
  else if (name.endsWith('.css')) css = name;
}
if (js === '') throw new Error('ui/build.mjs: esbuild produced no JavaScript output');

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base href="${BASE_PLACEHOLDER}">
<title>Vigil</title>
<link rel="icon" href="data:,">
${css === '' ? '' : `<link rel="stylesheet" href="assets/${css}">`}
<script type="module" src="assets/${js}"></script>
</head>
<body>
<noscript>Vigil's web UI needs JavaScript. The HTTP API is at api/v1/.</noscript>
<div id="app"></div>
</body>
</html>
`;
writeFileSync(join(out, 'index.html'), html);

const manifest = { js: `assets/${js}`, css: css === '' ? null : `assets/${css}`, files: {} };
for (const name of [js, css].filter((n) => n !== '')) {
  const p = join(assets, name);
  const raw = readFileSync(p);
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(`${p}.gz`, gz);
  manifest.files[`assets/${name}`] = { bytes: raw.length, gzipBytes: gz.length, sha256: createHash('sha256').update(raw).digest('hex') };
}
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`ui: wrote ${relative(root, out)}/ (${Object.entries(manifest.files).map(([n, f]) => `${n} ${f.bytes} B, ${f.gzipBytes} B gzip`).join('; ')})`);
