// Dashboard benchmark: 1,000,000 responses in Chromium (SwiftShader, headless).
//   node bench/dashboard-bench.mjs [ROWS]      (env NPSKIT_BUILD_WEB, NPSKIT_BUILD_NATIVE)
//   NPSKIT_BUILD_WEB_BASELINE=<another build dir>: the same measurements on that build first, in the
//   same run (before/after comparisons on a shared machine: ratios hold, absolute times drift).
// Measures: loading an NDJSON URL (fetch + core importer + store, in wasm), bytes per response,
// re-scoring every panel after a filter change (the core report), the steady frame's CPU time,
// and the same weekly 11-bin aggregation written in plain JavaScript in the same page
// (typed arrays, then the usual array-of-objects code) for comparison.
import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdirSync, openSync, closeSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { machine } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const ROOT = resolve(new URL('..', import.meta.url).pathname);
const WEB = resolve(ROOT, process.env.NPSKIT_BUILD_WEB || 'build-web');
const NATIVE = resolve(ROOT, process.env.NPSKIT_BUILD_NATIVE || 'build-native');
const ROWS = Number(process.argv[2] || 1000000);
const DATA = join(WEB, 'benchdata', `${ROWS}.ndjson`);

if (!existsSync(DATA)) {
  mkdirSync(join(WEB, 'benchdata'), { recursive: true });
  const fd = openSync(DATA, 'w');
  execFileSync(join(NATIVE, 'npskit'), ['generate', '--rows', String(ROWS), '--no-display'], { stdio: ['ignore', fd, 'inherit'] });
  closeSync(fd);
}
const bytes = statSync(DATA).size;

let WEB_DIST = join(WEB, 'dist');  // the bundle being measured (the baseline's, then ours)
const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  if (path === '/data.ndjson') {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-length': bytes });
    createReadStream(DATA, { highWaterMark: 1 << 20 }).pipe(res);
    return;
  }
  const file = join(WEB_DIST, 'dashboard', path.replace('/dashboard/', '') || 'index.html');
  if (!existsSync(file)) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'content-type': types[file.slice(file.lastIndexOf('.'))] || 'application/octet-stream' });
  createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

const { chromium } = require('playwright-core');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu',
  '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--enable-unsafe-swiftshader'] });
async function measure(dist) {
WEB_DIST = dist;
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const state = () => page.evaluate(() => window.npskitDashboard.state());
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const minMedMax = (xs) => { const v = [...xs].sort((a, b) => a - b); return { min: v[0], median: v[Math.floor(v.length / 2)], max: v[v.length - 1] }; };
// While loading, poll the light loadStatus() hook (state() re-scores on every call, which would
// slow the load it measures); a baseline build without it falls back to state().
const waitFor = async (pred, ms = 600000, light = false) => {
  const t0 = Date.now();
  for (;;) {
    const s = await page.evaluate((l) => (l && window.npskitDashboard && window.npskitDashboard.loadStatus
      ? { ...window.npskitDashboard.loadStatus(), load: window.npskitDashboard.loadStatus(), hasLoadStatus: true }
      : window.npskitDashboard.state()), light);
    if (s.ready && pred(s)) return s;
    if (Date.now() - t0 > ms) throw new Error('timeout: ' + JSON.stringify(s.load));
    if (process.env.BENCH_VERBOSE) console.error(JSON.stringify({ load: s.load.phase, bytes: s.load.bytes, rows: s.rows, builds: s.builds }));
    // Without the light hook, poll seldom: each state() call re-scores.
    await new Promise((ok) => setTimeout(ok, light && !s.hasLoadStatus ? 2000 : 250));
  }
};

// The browser's own floor first, in the same page: the same bytes fetched and read in a worker
// with nothing done with them (BYOB reader), and the same file read from disk.
await page.goto(`${base}/dashboard/index.html`);
await waitFor(() => true);
const floor = await page.evaluate(async (url) => {
  const body = `onmessage = async (e) => { const t = performance.now(); const r = await fetch(e.data); const rd = r.body.getReader({ mode: 'byob' });
    let buf = new ArrayBuffer(2 << 20), n = 0; for (;;) { const x = await rd.read(new Uint8Array(buf)); if (x.done) break; n += x.value.length; buf = x.value.buffer; }
    postMessage({ n, ms: performance.now() - t }); };`;
  const w = new Worker(URL.createObjectURL(new Blob([body], { type: 'text/javascript' })));
  const r = await new Promise((ok) => { w.onmessage = (e) => ok(e.data); w.postMessage(url); });
  w.terminate();
  return { fetch_seconds: r.ms / 1000, bytes: r.n };
}, base + '/data.ndjson');
await page.goto(`${base}/dashboard/index.html#src=${encodeURIComponent(base + '/data.ndjson')}`);
await waitFor((x) => x.load.phase === 'done' || x.load.phase === 'failed', 600000, true);
let s = await state();
const load = { rows: s.rows, n: s.n, seconds: s.load.seconds, import_seconds: s.load.import_seconds, mb: bytes / 1e6,
  browser_fetch_floor_seconds: floor.fetch_seconds };
// The same data as a file picked on the page (no network): read in the same worker path.
{
  const filePage = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await filePage.goto(`${base}/dashboard/index.html`);
  await filePage.waitForFunction(() => window.npskitDashboard && window.npskitDashboard.state().ready);
  await filePage.setInputFiles('#npskit-file', DATA);
  let f;
  for (;;) {
    f = await filePage.evaluate(() => window.npskitDashboard.loadStatus ? window.npskitDashboard.loadStatus() : window.npskitDashboard.state().load);
    if (f.phase === 'done' || f.phase === 'failed') break;
    await new Promise((ok) => setTimeout(ok, 250));
  }
  load.file_seconds = f.seconds;
  load.file_import_seconds = f.import_seconds;
  await filePage.close();
}
const perRow = (s.memory_bytes - s.comment_bytes) / s.rows;

// Filter changes: each sets the URL hash like a shared link would, then times a full re-score.
const src = `src=${encodeURIComponent(base + '/data.ndjson')}`;
// The theme a user clicks first: the top driver (mention=, the theme filter; a build without it
// ignores the name and re-scores unfiltered).
const topTheme = (s.theme_drivers && s.theme_drivers[0]) ? s.theme_drivers[0].key : '';
const filters = ['', 'a.plan=pro', 'seg=dp', 'range=2025-06-01..2025-08-31&bd=country', 'x=country%3DUS&by=day',
  'q=slow', 'a.plan=pro|enterprise&seg=p&by=month&bd=locale',
  ...(topTheme ? [`mention=${encodeURIComponent(topTheme)}`, `mention=${encodeURIComponent(topTheme)}&a.plan=pro`] : [])];
const rescore = [];
for (const f of filters) {
  const before = (await state()).builds;
  const changed = await page.evaluate((h) => { const c = location.hash.slice(1) !== h; location.hash = h; return c; },
    src + (f ? '&' + f : ''));
  if (changed) await waitFor((x) => x.builds > before);
  const times = [];
  for (let i = 0; i < 7; ++i) times.push(await page.evaluate(() => window.npskitDashboard.rescoreMs()));
  const st = await state();
  rescore.push({ filter: f || '(none)', ms: median(times), ...minMedMax(times), n: st.n });
}
await page.evaluate((h) => { location.hash = h; }, src);
await page.waitForTimeout(1000);
// The steady frame: the pointer moves over the canvas (a still page draws nothing), for 3 s.
for (let i = 0; i < 60; ++i) { await page.mouse.move(300 + (i % 20) * 10, 400); await page.waitForTimeout(50); }
s = await state();
const frame = s.frame_ms;

// Plain JavaScript, same page: weekly 11-bin histogram over ROWS synthetic rows.
const js = await page.evaluate((rows) => {
  const scores = new Uint8Array(rows), ts = new Float64Array(rows);
  const t0 = Date.UTC(2025, 0, 1), span = 365 * 86400000;
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  for (let i = 0; i < rows; ++i) { scores[i] = Math.floor(rnd() * 11); ts[i] = t0 + Math.floor(rnd() * span); }
  const objects = Array.from({ length: rows }, (_, i) => ({ score: scores[i], ts: new Date(ts[i]).toISOString(), plan: i % 3 ? 'free' : 'pro' }));
  const time = (f) => { const a = performance.now(); f(); return performance.now() - a; };
  const typed = time(() => {
    const h = new Uint32Array(53 * 11);
    for (let i = 0; i < rows; ++i) h[Math.floor((ts[i] - t0) / 604800000) * 11 + scores[i]]++;
  });
  const objectsMs = time(() => {
    const m = new Map();
    objects.filter((o) => o.plan !== 'x').forEach((o) => {
      const d = new Date(o.ts); const k = Math.floor((d - t0) / 604800000);
      const h = m.get(k) || Array(11).fill(0); h[o.score]++; m.set(k, h);
    });
  });
  return { typed, objects: objectsMs };
}, ROWS);

await page.close();
return { load, bytes_per_response: perRow, rescore, frame_ms: frame, js };
}

const baselineDir = process.env.NPSKIT_BUILD_WEB_BASELINE;
const baseline = baselineDir ? await measure(join(resolve(ROOT, baselineDir), 'dist')) : undefined;
const { load, bytes_per_response: perRow, rescore, frame_ms: frame, js } = await measure(join(WEB, 'dist'));
const result = { rows: ROWS, bytes, load, bytes_per_response: perRow, rescore, frame_ms: frame, js, baseline,
  machine: machine(), loadavg: (await import('node:os')).loadavg() };
console.log(JSON.stringify(result, null, 1));
// Raw figures beside the other drivers' (BENCHMARKS.md's "Dashboard" section interprets them).
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', `dashboard-${ROWS}.json`), JSON.stringify(result, null, 2) + '\n');
await browser.close();
server.close();
