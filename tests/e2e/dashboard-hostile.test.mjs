// Hostile files and URLs in the real dashboard (headless Chromium): NDJSON picked, a JSON array
// dropped, a CSV picked, each carrying HTML/JS (`<img src=x onerror=…>`, `</script>`), bidi
// overrides, a 1 MB comment, invalid UTF-8, NUL bytes, deeply nested JSON, 1e309, -0 and
// formula cells. Nothing executes (the payloads would set window.__pwned, open a dialog or log
// an error), the bad-row count and examples equal the CLI's on the same file, the dashboard
// still answers a filter change, and the exported CSV escapes formula cells. Then URLs that
// answer 50 MB of garbage or a body that never ends: a clear error, no hang; and one that
// stalls: still responsive, its connection closed once another source replaces it.
// Needs: $NPSKIT_BUILD_WEB/dist/dashboard and $NPSKIT_BUILD_NATIVE/npskit (CLI).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_NATIVE, BUILD_WEB, DASHBOARD_DIR, click, launchBrowser, startStaticServer, state, waitForState } from './dashboard-helpers.mjs';
import { mulberry32 } from '../tools/fault-proxy.mjs';

const CLI = join(BUILD_NATIVE, 'npskit');
const skip = !existsSync(join(DASHBOARD_DIR, 'dashboard.wasm')) ? `no dashboard bundle in ${BUILD_WEB}`
  : !existsSync(CLI) ? `no CLI at ${CLI}` : false;
const dir = mkdtempSync(join(tmpdir(), 'npskit-hostile-'));

// ---- payloads and files ------------------------------------------------------------------
// Each payload would set window.__pwned (and open a dialog) if it ever ran as HTML or script.
const IMG = `<img src=x onerror="window.__pwned='img';alert('img')">`;
const SCRIPT = `</script><script>window.__pwned='script';alert('script')</script>`;
const SVG = `<svg onload="window.__pwned='svg'"></svg>`;
const BIDI = '\u202Eexe.gnp\u202C \u2066isolé\u2069 \u200Fعربي';
const FORMULAS = ['=HYPERLINK("http://evil.test","cliquez")', '+cmd|\' /C calc\'!A0', '-2+3', '@SUM(1+1)'];

const pad = (i) => String(i).padStart(6, '0');
const v1 = (i, fields = {}) => ({ v: 1, id: `hostile-${pad(i)}`, survey: 'product-nps', score: i % 11,
  ts: `2026-03-${String(1 + (i % 27)).padStart(2, '0')}T10:00:00Z`, ...fields });
const line = (o) => Buffer.from(JSON.stringify(o) + '\n');
const MB = 1 << 20;

function hostileNdjson() {
  const parts = [
    line(v1(1, { comment: IMG, attributes: { plan: SCRIPT } })),
    line(v1(2, { comment: BIDI, attributes: { country: '\u202EED' } })),
    line(v1(3, { comment: SVG })),
    ...FORMULAS.map((f, k) => line(v1(4 + k, { comment: f, attributes: { plan: f } }))),
    line(v1(8, { comment: 'x'.repeat(MB) })),                          // a 1 MB comment
    line(v1(9, { comment: 'é'.repeat(2001) })),                        // over 2,000 characters
    Buffer.concat([Buffer.from(`{"v":1,"id":"hostile-000010","survey":"s","score":9,"ts":"2026-03-02T10:00:00Z","comment":"bad `),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}\n')]),   // invalid UTF-8
    Buffer.concat([Buffer.from(`{"v":1,"id":"hostile-000011","survey":"s","score":9,"ts":"2026-03-02T10:00:00Z","comment":"nul `),
      Buffer.from([0]), Buffer.from('"}\n')]),                          // a raw NUL byte
    line(v1(12, { comment: 'escaped nul \u0000 inside' })),
    Buffer.from(`{"v":1,"id":"hostile-000013","survey":"s","score":9,"ts":"2026-03-02T10:00:00Z","attributes":${'['.repeat(100000)}${']'.repeat(100000)}}\n`),
    Buffer.from(`{"v":1,"id":"hostile-000014","survey":"s","score":1e309,"ts":"2026-03-02T10:00:00Z"}\n`),
    Buffer.from(`{"v":1,"id":"hostile-000015","survey":"s","score":-0,"ts":"2026-03-02T10:00:00Z"}\n`),
    Buffer.from(`{"v":1,"id":"hostile-000016","survey":"s","score":-0.0,"ts":"2026-03-02T10:00:00Z"}\n`),
    Buffer.from(`{"__proto__":{"polluted":1},"v":1,"id":"hostile-000017","survey":"s","score":9,"ts":"2026-03-02T10:00:00Z"}\n`),
    Buffer.from(`${SCRIPT}\n`),
    Buffer.from(`${'['.repeat(200000)}\n`),
    ...[18, 19, 20, 21, 22].map((i) => line(v1(i, { comment: `fine ${i}`, attributes: { plan: i % 2 ? 'pro' : 'free' } }))),
  ];
  return Buffer.concat(parts);
}

function hostileJsonArray() {
  const records = [
    JSON.stringify(v1(30, { comment: IMG })),
    JSON.stringify(v1(31, { comment: SCRIPT, attributes: { plan: BIDI } })),
    `{"v":1,"id":"hostile-000032","survey":"s","score":1e309,"ts":"2026-03-02T10:00:00Z"}`,
    `{"v":1,"id":"hostile-000033","survey":"s","score":-0,"ts":"2026-03-02T10:00:00Z"}`,
    `{"v":1,"id":"hostile-000034","survey":"s","score":7,"ts":"2026-03-02T10:00:00Z","attributes":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    JSON.stringify(v1(35, { comment: 'y'.repeat(MB + 10) })),
    JSON.stringify(v1(36, { comment: FORMULAS[0] })),
    JSON.stringify(v1(37, { comment: 'ok' })),
  ];
  return Buffer.from('[\n' + records.join(',\n') + '\n]\n');
}

function hostileCsv() {
  const q = (s) => `"${s.replace(/"/g, '""')}"`;
  const rows = [
    'date,score,comment,plan',
    `2026-03-01,9,${q(IMG)},pro`,
    `2026-03-01,10,${q(FORMULAS[0])},${q(FORMULAS[3])}`,
    `2026-03-02,3,${q(FORMULAS[1])},${q(FORMULAS[2])}`,
    `2026-03-02,7,${q(SCRIPT)},free`,
    `2026-03-02,8,${q(BIDI)},${q(SVG)}`,
    '2026-03-03,abc,not a score,free',
    '2026-03-03,11,too high,free',
    `2026-03-03,5,${q('z'.repeat(MB))},free`,
    '2026-03-04,1e309,huge,free',
    '2026-03-04,-0,minus zero,free',
    `2026-03-04,6,${q('multi\nline <b>bold</b>')},pro`,
  ];
  return Buffer.concat([Buffer.from(rows.join('\n') + '\n'),
    Buffer.from('2026-03-05,4,bad '), Buffer.from([0xff, 0xfe]), Buffer.from(' utf8,free\n'),
    Buffer.from('2026-03-05,4,nul '), Buffer.from([0]), Buffer.from(' byte,free\n'),
    Buffer.from('2026-03-06,2,"never closed <img src=x onerror=alert(1)>,free\n')]);
}

// ---- the CLI's view of a file --------------------------------------------------------------
// `npskit validate` (strict schema v1) for JSON and NDJSON, `npskit score` for CSV (validate
// takes no CSV); both print "FILE:LINE: skipped: REASON" for every bad row.
function cliView(path, command) {
  const r = spawnSync(CLI, [command, path], { encoding: 'utf8', maxBuffer: 64 * MB });
  assert.ok(r.signal === null && (r.status === 0 || r.status === 1), `${command} exited ${r.status ?? r.signal}: ${r.stderr}`);
  const examples = [];
  for (const l of r.stderr.split('\n')) {
    const m = /^.*?:(\d+): skipped: (.*)$/.exec(l);
    if (m && l.startsWith(path)) examples.push({ line: Number(m[1]), reason: m[2] });
  }
  const out = JSON.parse(r.stdout);
  return { examples, bad: command === 'validate' ? out.invalid : out.skipped_rows, valid: command === 'validate' ? out.valid : out.n,
    histogram: out.histogram };
}

// ---- the page ------------------------------------------------------------------------------
let server, garbageServer, browser;
let garbageBytes = 0, endlessBytes = 0, endlessOpen = 0, stalledOpen = 0;

// 50 MB of seeded random bytes (no content-length lies), a body that never ends, and one that
// stalls.
async function startGarbageServer() {
  const random = mulberry32(7);
  const block = Buffer.alloc(MB);
  for (let i = 0; i < block.length; i++) block[i] = Math.floor(random() * 256);
  const s = createServer((req, res) => {
    res.setHeader('access-control-allow-origin', '*');
    if (req.url === '/garbage.ndjson') {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-length': 50 * MB });
      let sent = 0;
      const more = () => {
        while (sent < 50) {
          sent++;
          garbageBytes += MB;
          if (!res.write(block)) return res.once('drain', more);
        }
        res.end();
      };
      res.on('close', () => { sent = 50; });
      return more();
    }
    if (req.url === '/stalled.ndjson') {  // a few bytes, then silence with the connection open
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      stalledOpen++;
      res.on('close', () => { stalledOpen--; });
      return res.write('{"v":1,');
    }
    if (req.url === '/endless.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      endlessOpen++;
      let open = true;
      res.on('close', () => { open = false; endlessOpen--; });
      const more = () => {
        while (open) {
          endlessBytes += block.length;
          if (!res.write(block)) return res.once('drain', more);
        }
      };
      res.write('[');  // a JSON array that never closes
      return more();
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${s.address().port}`, close: () => new Promise((ok) => { s.closeAllConnections(); s.close(ok); }) };
}

before(async () => {
  if (skip) return;
  server = await startStaticServer();
  garbageServer = await startGarbageServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
  await garbageServer?.close();
  rmSync(dir, { recursive: true, force: true });
});

// A page where anything the payloads could do is noticed: dialogs, page errors, console errors
// (a created <img src=x> would log a failed load), new elements in the document.
async function openPage(viewport = { width: 1280, height: 1600 }) {
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
  const incidents = [];
  page.on('dialog', (d) => { incidents.push(`dialog: ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => incidents.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' || (m.type() === 'warning' && !/GL Driver Message/.test(m.text()))) incidents.push(`console ${m.type()}: ${m.text()}`); });
  // blob:<page origin> is the dashboard's own reader worker (web/dashboard/source.js).
  page.on('request', (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith(garbageServer.url) && !r.url().startsWith('blob:' + server.url)) incidents.push(`request: ${r.url()}`); });
  await page.goto(`${server.url}/dashboard/index.html`);
  await waitForState(page, () => true, { what: 'the wasm app to start' });
  page.incidents = incidents;
  page.elementsAtStart = await page.evaluate(() => document.querySelectorAll('*').length);
  return page;
}

async function assertNothingRan(page, label) {
  const seen = await page.evaluate(() => ({ pwned: window.__pwned ?? null, polluted: ({}).polluted ?? null,
    elements: document.querySelectorAll('*').length, images: document.images.length,
    scripts: [...document.scripts].map((s) => (s.src ? new URL(s.src).pathname.split('/').pop() : 'inline')) }));
  assert.equal(seen.pwned, null, `${label}: a payload ran`);
  assert.equal(seen.polluted, null, `${label}: Object.prototype polluted`);
  assert.equal(seen.images, 0, `${label}: an <img> appeared`);
  assert.deepEqual(seen.scripts, ['boot.js', 'dashboard.js'], `${label}: a <script> appeared`);  // the page's own two
  assert.equal(seen.elements, page.elementsAtStart, `${label}: elements were added to the page`);
  assert.deepEqual(page.incidents, [], label);
}

async function pick(page, name, bytes) {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  await page.setInputFiles('#npskit-file', path);
  return path;
}

async function drop(page, name, bytes) {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  await page.evaluate(({ name, b64 }) => {
    const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([raw], name));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { name, b64: bytes.toString('base64') });
  return path;
}

const loaded = (page, name) => waitForState(page, (s) => s.load.name === name && ['done', 'failed', 'mapping'].includes(s.load.phase),
  { timeout: 30000, what: `${name} to load` });

function assertSameAsCli(s, c, label) {
  assert.equal(s.load.phase, 'done', `${label}: ${s.load.error}`);
  assert.equal(s.load.bad_rows, c.bad, `${label}: bad rows, dashboard vs CLI`);
  assert.deepEqual(s.load.examples, c.examples.slice(0, 20), `${label}: examples, dashboard vs CLI`);
  assert.equal(s.n, c.valid, `${label}: valid rows`);
  if (c.histogram) assert.deepEqual(s.histogram, c.histogram, `${label}: histogram`);
}

// A control's rectangle once a frame has drawn it (frames are drawn only when something changed,
// so the state read right after a load can predate the frame that shows the control).
const rectOf = (page, name) => waitForState(page, (x) => x.ui && x.ui[name], { what: `the ${name} control on screen` })
  .then((x) => x.ui[name]);


// The dashboard still answers: a click on the "Promoters" chip filters every panel.
async function assertResponsive(page, label) {
  const before = await state(page);
  await click(page, before.ui.segment_promoter);
  const after = await waitForState(page, (x) => x.filters.segments === 'detractor,passive', { what: `${label}: the segment filter` });
  assert.equal(after.n, before.n - before.promoters, `${label}: filtered n`);
  await click(page, after.ui.segment_promoter);
  await waitForState(page, (x) => x.filters.segments === 'detractor,passive,promoter', { what: `${label}: the filter back off` });
}

// RFC 4180 cells of the exported CSV.
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; }
    else if (ch === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; }
    else cell += ch;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

async function exportCsv(page) {
  // Back to the top first: a wheel over a panel that does not scroll (the themes panel) scrolls
  // the page, and the toolbar's button is then off-screen. The top strip is the page itself.
  await page.mouse.move(900, 6);
  for (let i = 0; i < 10; ++i) await page.mouse.wheel(0, -400);
  await page.waitForTimeout(300);
  const s = await state(page);
  const [download] = await Promise.all([page.waitForEvent('download'), click(page, await rectOf(page, 'export_csv'))]);
  return readFileSync(await download.path(), 'utf8');
}

function assertFormulasEscaped(csv, label) {
  const rows = parseCsv(csv);
  for (const [r, row] of rows.entries()) {
    for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `${label}: row ${r} cell ${JSON.stringify(cell.slice(0, 40))} is a live formula`);
  }
  return rows;
}

// ---- tests ---------------------------------------------------------------------------------
test('hostile NDJSON (picked) and JSON array (dropped): nothing runs, bad rows = CLI validate, still responsive', { skip }, async (t) => {
  const page = await openPage();
  const ndjson = hostileNdjson();
  const ndPath = await pick(page, 'hostile.ndjson', ndjson);
  let s = await loaded(page, 'hostile.ndjson');
  const cNd = cliView(ndPath, 'validate');
  assertSameAsCli(s, cNd, 'hostile.ndjson');
  assert.ok(s.load.bad_rows >= 10, `${s.load.bad_rows} bad rows`);
  t.diagnostic(`hostile.ndjson: ${s.load.records} records, ${s.n} valid, ${s.load.bad_rows} bad`);
  // The hostile-but-valid text is kept verbatim (shown as text, not markup).
  const comments = s.comments.map((c) => c.comment);
  for (const text of [IMG, BIDI, SVG, ...FORMULAS]) assert.ok(comments.includes(text), `comment ${JSON.stringify(text)} kept verbatim`);
  await assertNothingRan(page, 'hostile.ndjson');
  // Look at it: the bad-row list open (its examples on screen), hostile comments drawn as text.
  await click(page, await rectOf(page, 'bad_rows'));
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(BUILD_WEB, 'dashboard-hostile-ndjson.png') });
  await page.mouse.move(640, 1450);
  for (let i = 0; i < 4; ++i) await page.mouse.wheel(0, 100);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(BUILD_WEB, 'dashboard-hostile-ndjson-comments.png') });
  await click(page, (await state(page)).ui.bad_rows);  // closed again: the chips stay where they were
  await page.waitForTimeout(200);
  await assertResponsive(page, 'hostile.ndjson');
  const rows = assertFormulasEscaped(await exportCsv(page), 'hostile.ndjson export');
  assert.equal(rows.length, 1 + s.n);
  const cells = rows.flat();
  for (const f of FORMULAS) assert.ok(cells.includes(`'${f}`), `formula ${f} exported with a leading apostrophe`);
  assert.ok(cells.includes(IMG) && cells.includes(SCRIPT), 'markup exported verbatim (a CSV is not HTML)');

  const json = hostileJsonArray();
  const jsonPath = await drop(page, 'hostile.json', json);
  s = await loaded(page, 'hostile.json');
  assert.equal(s.load.format, 'json');
  assertSameAsCli(s, cliView(jsonPath, 'validate'), 'hostile.json');
  assert.ok(s.load.bad_rows >= 3, `${s.load.bad_rows} bad rows`);
  t.diagnostic(`hostile.json: ${s.load.records} records, ${s.n} valid, ${s.load.bad_rows} bad`);
  await assertNothingRan(page, 'hostile.json');
  await assertResponsive(page, 'hostile.json');
  await page.close();
});

test('hostile CSV with formula cells: nothing runs, bad rows = CLI, export escapes every formula', { skip }, async (t) => {
  const page = await openPage({ width: 390, height: 1400 });
  await page.evaluate(() => { location.hash = 'theme=dark'; });
  await waitForState(page, (x) => x.filters.theme === 'dark', { what: 'the dark theme' });
  const csvPath = await pick(page, 'hostile.csv', hostileCsv());
  const s = await loaded(page, 'hostile.csv');
  assert.equal(s.load.format, 'csv');
  assertSameAsCli(s, cliView(csvPath, 'score'), 'hostile.csv');
  t.diagnostic(`hostile.csv: ${s.load.records} records, ${s.n} valid, ${s.load.bad_rows} bad`);
  await assertNothingRan(page, 'hostile.csv');
  await click(page, await rectOf(page, 'bad_rows'));
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(BUILD_WEB, 'dashboard-hostile-csv-narrow-dark.png') });
  await click(page, (await state(page)).ui.bad_rows);
  await page.waitForTimeout(200);
  await assertResponsive(page, 'hostile.csv');
  const rows = assertFormulasEscaped(await exportCsv(page), 'hostile.csv export');
  assert.equal(rows.length, 1 + s.n);
  const cells = rows.flat();
  for (const f of FORMULAS) assert.ok(cells.includes(`'${f}`), `formula ${f} exported with a leading apostrophe`);
  await page.close();
});

test('URLs answering 50 MB of garbage, a body that never ends, a body that stalls: a clear error, no hang', { skip }, async (t) => {
  const page = await openPage();
  // Stalled: the load waits (progress shown), the page still answers, and the next source
  // replaces it and closes its connection.
  const stalled = `${garbageServer.url}/stalled.ndjson`;
  await page.evaluate((u) => { location.hash = 'src=' + encodeURIComponent(u); }, stalled);
  let s = await waitForState(page, (x) => x.load.name === stalled && x.load.bytes > 0, { what: 'the stalled body\'s first bytes' });
  assert.equal(s.load.phase, 'loading');
  await assertResponsive(page, 'while a body stalls');
  assert.equal(stalledOpen, 1);
  const garbage = `${garbageServer.url}/garbage.ndjson`;
  await page.evaluate((u) => { location.hash = 'src=' + encodeURIComponent(u); }, garbage);
  s = await waitForState(page, (x) => x.load.name === garbage && ['done', 'failed', 'mapping'].includes(x.load.phase),
    { timeout: 60000, what: 'the 50 MB of garbage to end' });
  t.diagnostic(`garbage: phase ${s.load.phase}, ${s.load.bytes} bytes read, ${s.load.bad_rows} bad rows, error: ${s.load.error}`);
  assert.equal(s.load.phase, 'failed');
  assert.match(s.load.error, /not JSON, NDJSON or CSV/);  // random bytes: "CSV" with an unreadable header
  assert.equal(s.n, 0);
  await waitForState(page, () => stalledOpen === 0, { what: 'the stalled connection to close once replaced' });
  await page.screenshot({ path: join(BUILD_WEB, 'dashboard-hostile-garbage.png') });
  await assertNothingRan(page, 'garbage URL');

  const endless = `${garbageServer.url}/endless.json`;
  await page.evaluate((u) => { location.hash = 'src=' + encodeURIComponent(u); }, endless);
  s = await waitForState(page, (x) => x.load.name === endless && ['done', 'failed', 'mapping'].includes(x.load.phase),
    { timeout: 60000, what: 'the endless body to be given up' });
  t.diagnostic(`endless: phase ${s.load.phase}, ${s.load.bytes} bytes read (${endlessBytes} sent), error: ${s.load.error}`);
  assert.equal(s.load.phase, 'failed');
  assert.match(s.load.error, /No valid response in the first 16 MB/);
  // The page stopped reading: the server sees its connection closed.
  await waitForState(page, () => endlessOpen === 0, { what: 'the endless connection to close' });
  await assertNothingRan(page, 'endless URL');
  // Demo data replaces a stalled load and closes its connection too; it loads and filters.
  await page.evaluate((u) => { location.hash = 'src=' + encodeURIComponent(u); }, stalled);
  await waitForState(page, (x) => x.load.name === stalled && x.load.bytes > 0 && stalledOpen === 1, { what: 'the stalled body again' });
  await page.evaluate(() => window.npskitDashboard.demo(2000));
  await waitForState(page, () => stalledOpen === 0, { what: 'the stalled connection to close for demo data' });
  await waitForState(page, (x) => x.n === 2000, { what: 'demo data after the hostile URLs' });
  await assertResponsive(page, 'after the hostile URLs');
  await page.close();
});

test('a body that stalls for 30 s fails with a clear error, and its connection is closed', { skip }, async (t) => {
  const page = await openPage();
  const stalled = `${garbageServer.url}/stalled.ndjson`;
  await page.evaluate((u) => { location.hash = 'src=' + encodeURIComponent(u); }, stalled);
  await waitForState(page, (x) => x.load.name === stalled && x.load.bytes > 0, { what: 'the stalled body\'s first bytes' });
  const started = Date.now();
  const s = await waitForState(page, (x) => x.load.phase !== 'loading', { timeout: 60000, what: 'the stall to be given up' });
  t.diagnostic(`stalled body given up after ${Date.now() - started} ms: ${s.load.error}`);
  assert.equal(s.load.phase, 'failed');
  assert.match(s.load.error, /sent nothing for 30 s/);
  await waitForState(page, () => stalledOpen === 0, { what: 'the stalled connection to close' });
  await assertResponsive(page, 'after a stall');
  await assertNothingRan(page, 'stalled URL');
  await page.close();
});
