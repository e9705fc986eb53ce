// Dashboard in Chromium: every figure comes from the wasm core and must equal the CLI's report
// for the same file; each import format; bad rows and malformed files; the column-mapping
// step; filters and the URL hash; CSV export escaping.
// Needs: $NPSKIT_BUILD_WEB/dist/dashboard (em++ build) and $NPSKIT_BUILD_NATIVE/npskit (CLI).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_NATIVE, BUILD_WEB, DASHBOARD_DIR, DATA_DIR, launchBrowser, startStaticServer, state, waitForLoad,
  waitForState } from './dashboard-helpers.mjs';

const CLI = join(BUILD_NATIVE, 'npskit');
const skip = !existsSync(join(DASHBOARD_DIR, 'dashboard.wasm')) ? `no dashboard bundle in ${BUILD_WEB}`
  : !existsSync(CLI) ? `no CLI at ${CLI}` : false;

let server, browser;
before(async () => {
  if (skip) return;
  server = await startStaticServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

function cli(args) {
  // The CLI exits non-zero when no row is valid; its JSON still goes to stdout.
  try {
    return JSON.parse(execFileSync(CLI, ['score', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch (e) {
    return JSON.parse(e.stdout);
  }
}

async function openPage(hash = '', viewport = { width: 1280, height: 900 }) {
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(`${server.url}/dashboard/index.html${hash ? '#' + hash : ''}`);
  await waitForState(page, () => true, { what: 'the wasm app to start' });
  return page;
}

async function openFile(page, name) {
  await page.setInputFiles('#npskit-file', join(DATA_DIR, name));
  return waitForState(page, (s) => s.load.name === name && ['done', 'failed', 'mapping'].includes(s.load.phase),
    { what: `${name} to load` });
}

const close = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: dashboard ${a} vs CLI ${b}`);

function assertHeadlineEqualsCli(s, c, label) {
  assert.equal(s.n, c.n, `${label}: n`);
  if (c.n === 0) return;
  for (const k of ['nps', 'ci_low', 'ci_high', 'margin']) close(s[k], c[k], `${label}: ${k}`);
  assert.equal(s.nps_rounded, c.nps_rounded, `${label}: nps_rounded`);
  assert.deepEqual(s.histogram, c.histogram, `${label}: histogram`);
}

test('headline, CI and weekly trend equal the CLI for the same NDJSON (loaded from a URL)', { skip }, async () => {
  const page = await openPage(`src=${encodeURIComponent(server.url + '/data/responses.ndjson')}`);
  const s = await waitForLoad(page);
  const c = cli(['--by', 'week', join(DATA_DIR, 'responses.ndjson')]);
  assert.equal(s.load.phase, 'done');
  assert.equal(s.load.kind, 'url');
  assertHeadlineEqualsCli(s, c, 'responses.ndjson');
  assert.equal(s.load.bad_rows, c.skipped_rows);
  assert.equal(s.trend.length, c.groups.length);
  s.trend.forEach((g, i) => {
    const cg = c.groups[i];
    assert.equal(g.key, cg.key);
    assert.equal(g.n, cg.n, `${g.key} n`);
    if (cg.n) for (const k of ['nps', 'ci_low', 'ci_high']) close(g[k], cg[k], `${g.key} ${k}`);
  });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('files and URLs are read in a worker, or in the page when a CSP forbids blob: workers: same figures', { skip }, async (t) => {
  const csp = await startStaticServer({}, { 'content-security-policy': "worker-src 'none'" });
  try {
    const c = cli(['--by', 'week', join(DATA_DIR, 'responses.ndjson')]);
    for (const [base, reader] of [[server.url, 'worker'], [csp.url, 'page']]) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${base}/dashboard/index.html#src=${encodeURIComponent(base + '/data/responses.ndjson')}`);
      let s = await waitForLoad(page);
      assert.equal(s.load.phase, 'done', `${reader}: ${s.load.error}`);
      assert.equal(await page.evaluate(() => NpskitWeb.load.reader), reader, 'URL read by the ' + reader);
      assertHeadlineEqualsCli(s, c, `URL, ${reader}`);
      await page.setInputFiles('#npskit-file', join(DATA_DIR, 'responses.ndjson'));
      s = await waitForState(page, (x) => x.load.kind === 'file' && x.load.phase === 'done', { what: 'the picked file' });
      assert.equal(await page.evaluate(() => NpskitWeb.load.reader), reader, 'file read by the ' + reader);
      assertHeadlineEqualsCli(s, c, `file, ${reader}`);
      assert.deepEqual(errors, []);
      t.diagnostic(`${base === csp.url ? "worker-src 'none'" : 'no CSP'}: read in the ${reader}, n ${s.n}`);
      await page.close();
    }
  } finally {
    await csp.close();
  }
});

test('each import format (picked file) gives the CLI figures', { skip }, async () => {
  const page = await openPage();
  const formats = { 'responses.ndjson': 'ndjson', 'delighted-survey_responses.json': 'json',
    'formbricks-export.csv': 'csv', 'plain.csv': 'csv', 'dashboard-plain-fr.csv': 'csv' };
  for (const [name, format] of Object.entries(formats)) {
    const s = await openFile(page, name);
    assert.equal(s.load.phase, 'done', `${name}: ${s.load.error}`);
    assert.equal(s.load.format, format, name);
    const c = cli([join(DATA_DIR, name)]);
    assertHeadlineEqualsCli(s, c, name);
    assert.equal(s.load.bad_rows, c.skipped_rows, `${name}: bad rows`);
    assert.ok(s.n > 0, `${name}: has responses`);
  }
  // French comments arrive intact (UTF-8 through the whole path).
  const s = await state(page);
  assert.ok(s.comments.some((c) => c.comment === "L'application plante à l'export"), 'accented comment kept');
  await page.close();
});

test('a file dropped on the page loads like a picked one; accents render', { skip }, async () => {
  const page = await openPage('', { width: 900, height: 1400 });
  const text = readFileSync(join(DATA_DIR, 'dashboard-plain-fr.csv'), 'utf8');
  await page.evaluate((csv) => {
    const dt = new DataTransfer();
    dt.items.add(new File([csv], 'dropped.csv', { type: 'text/csv' }));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, text);
  const s = await waitForState(page, (x) => x.load.name === 'dropped.csv' && x.load.phase === 'done', { what: 'the drop' });
  assertHeadlineEqualsCli(s, cli([join(DATA_DIR, 'dashboard-plain-fr.csv')]), 'dropped');
  assert.equal(s.load.kind, 'file');
  // Look at this one: French comments with accents in the comment list (DejaVu Sans).
  await page.mouse.move(450, 700);
  for (let i = 0; i < 10; ++i) await page.mouse.wheel(0, 100);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(BUILD_WEB, 'dashboard-accents.png') });
  await page.close();
});

test('bad rows are counted and shown with examples; the good rows still load', { skip }, async () => {
  const page = await openPage();
  const s = await openFile(page, 'dashboard-malformed.ndjson');
  const c = cli([join(DATA_DIR, 'dashboard-malformed.ndjson')]);
  assert.equal(s.load.phase, 'done');
  assert.equal(s.load.bad_rows, 3);
  assert.deepEqual(s.load.examples.map((e) => e.line), [2, 4, 5]);
  assert.ok(s.load.examples.every((e) => e.reason.length > 5));
  assertHeadlineEqualsCli(s, c, 'malformed');
  await page.close();
});

test('a malformed file shows its error and never a score', { skip }, async () => {
  const page = await openPage();
  const s = await openFile(page, 'dashboard-broken.json');
  assert.equal(s.load.phase, 'failed');
  assert.match(s.load.error, /No valid response/);
  assert.equal(s.load.bad_rows, 4);
  assert.equal(s.n, 0);
  assert.equal(s.nps, null);
  // A URL that fails is an error too, not a hang.
  await page.evaluate((u) => { location.hash = 'src=' + encodeURIComponent(u); }, server.url + '/data/missing.ndjson');
  const m = await waitForState(page, (x) => x.load.phase === 'failed' && x.load.kind === 'url', { what: 'the 404 to fail' });
  assert.match(m.load.error, /HTTP 404/);
  await page.screenshot({ path: join(BUILD_WEB, 'dashboard-error.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('unknown CSV headers open the column-mapping step', { skip }, async () => {
  const page = await openPage();
  const s = await openFile(page, 'dashboard-unmapped.csv');
  assert.equal(s.load.phase, 'mapping');
  assert.deepEqual(s.load.header, ['Quand', 'Note sur 10', 'Remarque', 'Formule']);
  assert.equal(s.n, 0, 'rows wait for the mapping');
  await page.screenshot({ path: join(BUILD_WEB, 'dashboard-mapping.png') });
  await page.evaluate(() => window.npskitDashboard.map({ ts: 0, score: 1, comment: 2 }));
  const done = await waitForLoad(page);
  assert.equal(done.load.phase, 'done');
  // The same rows under names the importer knows, scored by the CLI.
  const dir = mkdtempSync(join(tmpdir(), 'npskit-map-'));
  const lines = readFileSync(join(DATA_DIR, 'dashboard-unmapped.csv'), 'utf8').split('\n');
  lines[0] = 'date,score,comment,Formule';
  writeFileSync(join(dir, 'mapped.csv'), lines.join('\n'));
  assertHeadlineEqualsCli(done, cli([join(dir, 'mapped.csv')]), 'mapped');
  assert.ok(done.comments.some((c) => Object.values(c.attributes).includes('free')), JSON.stringify(done.comments[0]));
  await page.close();
});

test('filters live in the URL hash: they apply, survive a reload, and clicks update them', { skip }, async () => {
  const src = encodeURIComponent(server.url + '/data/responses.ndjson');
  const hash = `src=${src}&range=2026-01-12..2026-02-15&by=month&bd=country&a.plan=pro&x=country%3DDE&theme=dark`;
  const page = await openPage(hash);
  let s = await waitForLoad(page);
  const c = cli(['--since', '2026-01-12', '--until', '2026-02-15', '--where', 'plan=pro', '--where', 'country!=DE',
    '--by', 'month', join(DATA_DIR, 'responses.ndjson')]);
  assertHeadlineEqualsCli(s, c, 'filtered');
  assert.deepEqual(s.trend.map((g) => [g.key, g.n]), c.groups.map((g) => [g.key, g.n]));
  assert.equal(s.filters.range, 'custom');
  assert.equal(s.filters.from, '2026-01-12');
  assert.equal(s.filters.to, '2026-02-15');
  assert.equal(s.filters.by, 'month');
  assert.equal(s.filters.breakdown, 'country');
  assert.equal(s.filters.theme, 'dark');
  assert.deepEqual(s.filters.attributes, [{ key: 'plan', values: ['pro'], exclude: false }]);
  assert.equal(s.filters.exclude_rule, 'country=DE');
  assert.ok(s.breakdown.rows.every((r) => r.value !== 'DE'), 'excluded value gone from the breakdown');

  // Reload: the same view comes back from the hash.
  await page.reload();
  await waitForState(page, () => true);
  const again = await waitForLoad(page);
  assert.equal(again.hash, s.hash);
  assertHeadlineEqualsCli(again, c, 'after reload');

  // A click on the "Promoters" chip removes promoters everywhere and lands in the hash.
  const r = again.ui.segment_promoter;
  await page.mouse.move(r[0] + r[2] / 2, r[1] + r[3] / 2);
  await page.mouse.down();
  await page.waitForTimeout(80);
  await page.mouse.up();
  s = await waitForState(page, (x) => x.filters.segments === 'detractor,passive', { what: 'the segment filter' });
  assert.equal(s.n, again.n - again.promoters);
  assert.equal(s.promoters, 0);
  const url = new URL(page.url());
  assert.match(url.hash, /seg=dp/);
  // Clicking "week" changes the bucket and the hash.
  const w = s.ui.bucket_week;
  await page.mouse.move(w[0] + w[2] / 2, w[1] + w[3] / 2);
  await page.mouse.down();
  await page.waitForTimeout(80);
  await page.mouse.up();
  s = await waitForState(page, (x) => x.filters.by === 'week', { what: 'the weekly bucket' });
  assert.doesNotMatch(new URL(page.url()).hash, /by=/);  // week is the default: not written
  assert.ok(s.trend.every((g) => /W\d\d$/.test(g.key)));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('CSV export: the filtered responses, formulas escaped; report JSON download', { skip }, async () => {
  const page = await openPage();
  const s = await openFile(page, 'dashboard-plain-fr.csv');
  const r = s.ui.export_csv;
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    (async () => {
      await page.mouse.move(r[0] + r[2] / 2, r[1] + r[3] / 2);
      await page.mouse.down();
      await page.waitForTimeout(80);
      await page.mouse.up();
    })(),
  ]);
  assert.equal(download.suggestedFilename(), 'npskit-responses.csv');
  const csv = readFileSync(await download.path(), 'utf8');
  const rows = csv.trim().split('\r\n');
  assert.match(rows[0], /^"ts","type","score","segment","comment"/);
  assert.equal(rows.length, 1 + s.n);
  assert.ok(csv.includes(`"'=HYPERLINK(""http://evil.test"",""cliquez"")"`), csv);
  assert.ok(csv.includes(`"'+ trop cher, - pas clair"`));
  assert.ok(csv.includes(`,"'@support lent`));
  // Every cell is quoted: none may open with a formula character inside its quotes.
  assert.ok(!/(^|,)"?[=+@]/m.test(csv.replace(/""/g, '')), 'no unescaped formula cell');

  const j = s.ui.export_json;
  const [report] = await Promise.all([
    page.waitForEvent('download'),
    (async () => {
      await page.mouse.move(j[0] + j[2] / 2, j[1] + j[3] / 2);
      await page.mouse.down();
      await page.waitForTimeout(80);
      await page.mouse.up();
    })(),
  ]);
  const body = JSON.parse(readFileSync(await report.path(), 'utf8'));
  assert.equal(body.n, s.n);
  assert.equal(body.nps, s.nps);
  await page.close();
});

test('keyboard text input and the clipboard (copy out of and paste into an ImGui field)', { skip }, async () => {
  const page = await openPage('', { width: 1280, height: 2000 });  // tall: every panel on screen
  await openFile(page, 'dashboard-plain-fr.csv');
  const click = async (r) => {
    await page.mouse.move(r[0] + r[2] / 2, r[1] + r[3] / 2);
    await page.mouse.down();
    await page.waitForTimeout(80);
    await page.mouse.up();
    await page.waitForTimeout(80);
  };
  // ImGui 1.86 polls key state once a frame: hold each chord across frames, like a person.
  const chord = async (...keys) => {
    for (const k of keys) await page.keyboard.down(k);
    await page.waitForTimeout(80);
    for (const k of keys.reverse()) await page.keyboard.up(k);
    await page.waitForTimeout(80);
  };
  let s = await state(page);
  await click(s.ui.search);
  await page.keyboard.type('cher');
  s = await waitForState(page, (x) => x.filters.text === 'cher', { what: 'typed search text' });
  assert.equal(s.n, 1);  // "+ trop cher, - pas clair"
  assert.match(new URL(page.url()).hash, /q=cher/);
  // Copy: Ctrl+A, Ctrl+C in the field puts the text on the clipboard (io.SetClipboardTextFn).
  await chord('Control', 'a');
  await chord('Control', 'c');
  assert.equal(await page.evaluate(() => NpskitWeb.clipboard), 'cher');
  // Clear the field, then Ctrl+V: Chromium fires a paste event with the system clipboard
  // (written by the copy above), and ImGui inserts it through io.GetClipboardTextFn.
  await chord('Control', 'a');
  await chord('Backspace');
  s = await waitForState(page, (x) => x.filters.text === '', { what: 'the cleared field' });
  assert.equal(s.n, 8);
  await page.evaluate(() => { NpskitWeb.clipboard = 'stale'; });  // only the paste event may refill it
  await chord('Control', 'v');
  s = await waitForState(page, (x) => x.filters.text === 'cher', { what: 'pasted search text' });
  assert.equal(s.n, 1);
  assert.equal(s.comments[0].comment, '+ trop cher, - pas clair');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('touch: a tap clicks once where the finger is, a vertical drag scrolls', { skip }, async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, hasTouch: true,
    isMobile: true });
  const page = await context.newPage();
  await page.goto(`${server.url}/dashboard/index.html`);
  await waitForState(page, () => true);
  await page.evaluate(() => window.npskitDashboard.demo(2000));
  let s = await waitForState(page, (x) => x.n === 2000, { what: 'demo data' });
  const chip = s.ui.segment_passive;
  await page.touchscreen.tap(chip[0] + chip[2] / 2, chip[1] + chip[3] / 2);
  s = await waitForState(page, (x) => x.filters.segments === 'detractor,promoter', { what: 'the tapped chip' });
  await page.waitForTimeout(300);
  s = await state(page);
  assert.equal(s.filters.segments, 'detractor,promoter', 'one tap toggles once (no double click)');
  // Drag up by 300 CSS px: the page content moves up.
  const before = s.ui.segment_passive[1];
  const cdp = await context.newCDPSession(page);
  const touchAt = (type, y) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x: 200, y }] });
  await touchAt('touchStart', 600);
  for (let y = 580; y >= 300; y -= 20) {
    await touchAt('touchMove', y);
    await page.waitForTimeout(20);
  }
  await touchAt('touchEnd', 300);
  await page.waitForTimeout(300);
  s = await state(page);
  assert.ok(s.ui.segment_passive[1] < before - 100, `scrolled: ${before} -> ${s.ui.segment_passive[1]}`);
  assert.equal(s.filters.segments, 'detractor,promoter', 'a drag is not a tap');
  await context.close();
});

// The thank-you links' click-through by segment (Response rate panel), from the core's report:
// 4 detractors (1 clicked), 3 passives (2), 5 promoters (3), one more promoter click left out by
// the exclusion rule (internal=true). Screenshots of the panel, light and dark, 390 px and 1440 px.
test('CTA click-through by segment: counted by the core, shown in the Response rate panel', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npskit-cta-'));
  const file = join(dir, 'cta.ndjson');
  let i = 0;
  const line = (score, clicked, internal = false) => JSON.stringify({
    v: 1, id: `cta-row-${i++}`, type: 'response', survey: 'product-nps', score, ts: '2026-01-05T10:00:00Z',
    ...(internal ? { attributes: { internal: 'true' } } : {}),
    ...(clicked ? { cta_clicked: score <= 6 ? 'detractor' : score <= 8 ? 'passive' : 'promoter' } : {}) });
  const rows = [[0, 1], [3, 0], [5, 0], [6, 0], [7, 1], [8, 1], [8, 0], [9, 1], [9, 0], [10, 1], [10, 1], [10, 0]]
    .map(([s, c]) => line(s, c));
  rows.push(line(10, 1, true));
  for (let k = 0; k < 20; ++k)
    rows.push(JSON.stringify({ v: 1, id: `cta-shown-${k}`, type: 'shown', survey: 'product-nps', ts: '2026-01-05T09:00:00Z' }));
  writeFileSync(file, rows.join('\n') + '\n');
  for (const theme of ['light', 'dark']) {
    for (const width of [390, 1440]) {
      // Tall enough for every panel without scrolling; the shot is clipped to the Response rate
      // panel (wide: beside the breakdown, under the trend; narrow: under the comments).
      const page = await openPage(`theme=${theme}&x=internal%3Dtrue`, { width, height: width < 480 ? 3200 : 1800 });
      await page.setInputFiles('#npskit-file', file);
      const s = await waitForState(page, (x) => x.load.name === 'cta.ndjson' && x.load.phase === 'done' && x.n === 12,
        { what: 'cta.ndjson to load, internal left out' });
      assert.deepEqual(s.cta.detractor, { answers: 4, clicks: 1, click_through: 0.25 });
      assert.equal(s.cta.passive.answers, 3);
      assert.equal(s.cta.passive.clicks, 2);
      close(s.cta.passive.click_through, 2 / 3, 'passive click-through');
      assert.deepEqual(s.cta.promoter, { answers: 5, clicks: 3, click_through: 0.6 });
      await page.waitForTimeout(300);
      for (let y = 0; y < (width < 480 ? 3200 : 1800); y += 900)
        await page.screenshot({ path: join(BUILD_WEB, `dashboard-cta-${theme}-${width}-${y}.png`), clip: { x: 0, y, width, height: 900 } });
      assert.deepEqual(page.errors, []);
      await page.close();
    }
  }
});
