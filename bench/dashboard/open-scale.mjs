// The dashboard opening a collector (issue 14 item 4): time to first figures and the tab's
// memory on the aggregate path (histograms + one comments page) beside the row path (every row
// as NDJSON), in one run, on one collector seeded with N demo answers.
//   node bench/dashboard/open-scale.mjs [N...]      (default 100000; env NPSKIT_BUILD_NATIVE, NPSKIT_BUILD_WEB)
//        [--backend sqlite|postgresql] [--load seed|import] [--no-display] [--paths aggregate,rows] [--db DB]
// Loading: --seed-demo N (default) or `npskit generate --rows N` then `npskit-collector --import`
// (--load import; --no-display: answers only). --backend postgresql: a throwaway cluster
// (tests/tools/pg-cluster.mjs). --db: an already loaded database (N is then only a label).
// --paths aggregate skips the row path (at 10^7 it would download every row).
// First figures: from navigation until the load is done (row path: every row imported and
// scored; aggregate path: the report built from /v1/aggregate). Memory: the JS heap (CDP
// Runtime.getHeapUsage) plus the wasm memory (its ArrayBuffer), after the figures.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { machine } from '../lib/report.mjs';
import { startPgCluster } from '../../tests/tools/pg-cluster.mjs';

const require = createRequire(import.meta.url);
const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const NATIVE = resolve(ROOT, process.env.NPSKIT_BUILD_NATIVE || 'build-native');
const WEB = join(resolve(ROOT, process.env.NPSKIT_BUILD_WEB || 'build-web'), 'dist', 'dashboard');
const argv = process.argv.slice(2);
const flag = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const BACKEND = flag('backend', 'sqlite');
const LOAD = flag('load', 'seed');
const GIVEN_DB = flag('db', '');
const PATHS = flag('paths', 'aggregate,rows').split(',');
const NO_DISPLAY = argv.includes('--no-display');
const SIZES = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--') && argv[i - 1] !== '--no-display'))
  .map(Number).filter(Boolean);
const KEY = 'bench-open-scale';

function startCollector(db, seed) {
  const child = spawn(join(NATIVE, 'npskit-collector'), ['--port', '0', '--db', db, '--read-key', KEY, '--web', WEB, '--quiet',
    ...(seed ? ['--seed-demo', String(seed)] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((ok, fail) => {
    let text = '';
    child.stderr.on('data', (d) => {
      text += d;
      for (const line of text.split('\n')) if (line.includes('"listening"')) ok({ child, url: `http://127.0.0.1:${JSON.parse(line).port}` });
    });
    child.on('exit', (code) => fail(new Error(`collector exited (${code}): ${text}`)));
  });
}

async function open(browser, url, rowsLimit) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const cdp = await page.context().newCDPSession(page);
  const start = Date.now();
  await page.goto(`${url}/index.html#key=${KEY}&rows_limit=${rowsLimit}`);
  let s;
  for (;;) {
    s = await page.evaluate(() => (window.npskitDashboard ? window.npskitDashboard.loadStatus() : { ready: false }));
    if (s.ready && s.kind === 'collector' && (s.phase === 'done' || s.phase === 'failed')) break;
    if (Date.now() - start > 600000) throw new Error('no figures after 10 min');
    await new Promise((ok) => setTimeout(ok, 20));
  }
  const firstMs = Date.now() - start;
  const st = await page.evaluate(() => window.npskitDashboard.state());
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const wasm = await page.evaluate(() => (typeof HEAPU8 !== 'undefined' ? HEAPU8.length : 0));
  await page.close();
  return { path: rowsLimit ? 'aggregate' : 'rows', first_figures_ms: firstMs, n: st.n, rows_in_tab: st.rows, store_mb: +(st.memory_bytes / 2 ** 20).toFixed(1), error: st.load.error,
    js_heap_mb: +(heap.usedSize / 2 ** 20).toFixed(1), wasm_memory_mb: +(wasm / 2 ** 20).toFixed(1),
    tab_mb: +((heap.usedSize + wasm) / 2 ** 20).toFixed(1) };
}

const { chromium } = require('playwright-core');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--enable-unsafe-swiftshader'] });
const result = { machine: machine(), runs: [] };
for (const n of SIZES.length ? SIZES : [100000]) {
  const dir = mkdtempSync(join(tmpdir(), 'npskit-open-'));
  const pg = !GIVEN_DB && BACKEND === 'postgresql' ? await startPgCluster({ fsync: false }) : null;
  const db = GIVEN_DB || (pg ? pg.url : join(dir, 'c.db'));
  const seedStart = Date.now();
  let loaded = null;
  if (!GIVEN_DB && LOAD === 'import') {
    const file = join(dir, 'generated.ndjson');
    execFileSync('sh', ['-c', `"$0" generate --rows ${n} ${NO_DISPLAY ? '--no-display' : ''} > "$1"`, join(NATIVE, 'npskit'), file],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    const out = execFileSync(join(NATIVE, 'npskit-collector'), ['--db', db, '--import', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
    loaded = JSON.parse(out.trim().split('\n').pop());
    rmSync(file, { force: true });
  }
  const c = await startCollector(db, !GIVEN_DB && LOAD === 'seed' ? n : 0);
  const seedMs = Date.now() - seedStart;
  // The collector's first /v1/aggregate after seeding is slow once (22.7 s at 10^5 here): its
  // own cost, not the dashboard's; timed apart, then every open finds it warm.
  const aggStart = Date.now();
  await fetch(`${c.url}/v1/aggregate?by=survey`, { headers: { Authorization: `Bearer ${KEY}` } }).then((r) => r.text());
  const firstAggregateMs = Date.now() - aggStart;
  try {
    // A first open compiles the wasm (Chromium caches it): not counted against either path.
    const warm = await browser.newPage();
    await warm.goto(`${c.url}/index.html`);
    await warm.waitForFunction(() => window.npskitDashboard && window.npskitDashboard.loadStatus().ready);
    await warm.close();
    for (const limit of [1000, 0]) {  // aggregate, then rows
      if (!PATHS.includes(limit ? 'aggregate' : 'rows')) continue;
      const r = { answers: n, backend: GIVEN_DB ? (GIVEN_DB.startsWith('postgres') ? 'postgresql' : 'sqlite') : BACKEND,
        load: GIVEN_DB ? 'given' : LOAD, records: loaded?.records, import_records_per_second: loaded?.records_per_second,
        seed_ms: seedMs, collector_first_aggregate_ms: firstAggregateMs, ...(await open(browser, c.url, limit)) };
      console.error(JSON.stringify(r));
      result.runs.push(r);
    }
  } finally {
    c.child.kill('SIGTERM');
    await new Promise((ok) => c.child.once('exit', ok));
    await pg?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
await browser.close();
console.log(JSON.stringify(result, null, 1));
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'dashboard-open-scale.json'), JSON.stringify(result, null, 2) + '\n');
