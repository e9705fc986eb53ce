// Dashboard on the aggregate path (issue 14 item 4): a collector above the row limit (moved to
// 1,000 here with #rows_limit=) is opened from histograms, never from rows: the headline equals
// `npskit score` on the same rows (read back from /v1/responses here, not in the page), the page
// asks for no /v1/responses, and scrolling the comments loads the next /v1/comments page.
// Needs: $NPSKIT_BUILD_WEB/dist/dashboard, $NPSKIT_BUILD_NATIVE/npskit-collector and npskit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_NATIVE, DASHBOARD_DIR, click, launchBrowser, settledState, waitForState } from './dashboard-helpers.mjs';

const COLLECTOR = join(BUILD_NATIVE, 'npskit-collector');
const CLI = join(BUILD_NATIVE, 'npskit');
const skip = !existsSync(join(DASHBOARD_DIR, 'dashboard.wasm')) ? 'no dashboard bundle'
  : !existsSync(COLLECTOR) || !existsSync(CLI) ? `no collector or CLI in ${BUILD_NATIVE}` : false;
const KEY = 'dashboard-scale-key';
const ANSWERS = 5000;
const dir = mkdtempSync(join(tmpdir(), 'npskit-scale-'));
let browser, collector;

function startCollector() {
  const args = ['--port', '0', '--db', join(dir, 'scale.db'), '--read-key', KEY, '--web', DASHBOARD_DIR, '--quiet',
    '--seed-demo', String(ANSWERS)];
  const child = spawn(COLLECTOR, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr.on('data', (d) => {
      text += d;
      for (const line of text.split('\n')) {
        if (!line.includes('"listening"')) continue;
        resolve({ url: `http://127.0.0.1:${JSON.parse(line).port}`, child });
      }
    });
    child.on('exit', (code) => reject(new Error(`collector exited (${code}): ${text}`)));
  });
}

// Every row, as the collector stores them (the CLI scores this file).
async function readAllRows(url) {
  let cursor = '', body = '';
  for (;;) {
    const res = await fetch(`${url}/v1/responses?format=ndjson&limit=10000${cursor ? '&since=' + encodeURIComponent(cursor) : ''}`,
      { headers: { Authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    body += text.endsWith('\n') || !text ? text : text + '\n';
    const next = res.headers.get('X-Next-Cursor') || '';
    if (!next || next === cursor || text.split('\n').filter(Boolean).length < 10000) break;
    cursor = next;
  }
  return body;
}

before(async () => {
  if (skip) return;
  collector = await startCollector();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  if (collector && collector.child.exitCode === null) {
    await new Promise((ok) => { collector.child.on('exit', ok); collector.child.kill('SIGTERM'); });
  }
});

test('a collector above the row limit opens from aggregates with the CLI\'s numbers', { skip, timeout: 60000 }, async () => {
  const rows = await readAllRows(collector.url);
  const file = join(dir, 'rows.ndjson');
  writeFileSync(file, rows);
  const cli = JSON.parse(execFileSync(CLI, ['score', file], { encoding: 'utf8' }));
  assert.equal(cli.n, ANSWERS);  // (the file also holds the shown/dismissed events)

  const page = await browser.newPage({ viewport: { width: 1280, height: 2200 }, deviceScaleFactor: 1 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const asked = [];
  page.on('request', (r) => asked.push(new URL(r.url())));
  await page.goto(`${collector.url}/index.html#key=${KEY}&rows_limit=1000`);
  let s = await waitForState(page, (x) => x.aggregate && x.aggregate.figures && x.aggregate.comment_pages >= 1,
    { what: 'the aggregate figures and the first comments page' });
  assert.equal(s.load.phase, 'done', s.load.error);
  assert.equal(s.rows, 0, 'no row in the tab');
  assert.equal(s.aggregate.answers, ANSWERS);
  assert.equal(s.n, cli.n);
  for (const k of ['nps', 'ci_low', 'ci_high', 'margin']) assert.ok(Math.abs(s[k] - cli[k]) < 1e-9, `${k}: ${s[k]} vs CLI ${cli[k]}`);
  assert.equal(s.nps_rounded, cli.nps_rounded);
  assert.deepEqual(s.histogram, cli.histogram);

  // The list's second page arrives when it is scrolled to its end.
  const pages = () => asked.filter((u) => u.pathname === '/v1/comments').length;
  assert.equal(pages(), 1);
  assert.equal(s.aggregate.more_comments, true);
  const r = (await waitForState(page, (x) => x.ui && x.ui.search, { what: 'the comments panel on screen' })).ui.search;
  await page.mouse.move(r[0] + 40, r[1] + 200);
  for (let i = 0; i < 40 && pages() < 2; ++i) {
    await page.mouse.wheel(0, 2000);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  s = await waitForState(page, (x) => x.aggregate.comment_pages >= 2, { what: 'the second comments page' });
  const second = asked.filter((u) => u.pathname === '/v1/comments')[1];
  assert.ok(second.searchParams.get('before'), 'the second page continues from the first one\'s token');
  assert.ok(s.aggregate.comments > 50);

  // The search goes to the database (q=); the scores say they do not narrow to it.
  await page.evaluate(() => { location.hash = location.hash.replace(/^#/, '') + '&q=slow'; });
  s = await waitForState(page, (x) => x.filters.text === 'slow' && x.load.note.includes('search'), { what: 'the search note' });
  assert.ok(asked.some((u) => u.pathname === '/v1/comments' && u.searchParams.get('q') === 'slow'));

  assert.equal(asked.filter((u) => u.pathname === '/v1/responses').length, 0, 'no row was asked for');
  assert.deepEqual(errors, []);
});

// No rows in the tab: "Copy digest" copies the collector's own digest (GET /v1/digest, the text
// it sends each week) and "Export CSV" the figures on screen as the core scored them. Both did
// nothing here before (an empty store).
test('on the aggregate path Copy digest copies the collector\'s digest and Export CSV the figures', { skip, timeout: 60000 }, async () => {
  const rows = await readAllRows(collector.url);
  const file = join(dir, 'rows-export.ndjson');
  writeFileSync(file, rows);
  const cli = JSON.parse(execFileSync(CLI, ['score', file], { encoding: 'utf8' }));

  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const asked = [];
  page.on('request', (r) => asked.push(new URL(r.url())));
  await page.goto(`${collector.url}/index.html#key=${KEY}&rows_limit=1000`);
  await waitForState(page, (x) => x.aggregate && x.aggregate.figures && x.aggregate.digest, { what: 'the figures and the digest' });

  const digestUrl = asked.find((u) => u.pathname === '/v1/digest');
  assert.ok(digestUrl, 'the page asked the collector for its digest');
  const want = await (await fetch(`${collector.url}${digestUrl.pathname}${digestUrl.search}`, { headers: { Authorization: `Bearer ${KEY}` } })).json();
  assert.match(want.text, /^\*NPS weekly digest\*: /);
  let s = await settledState(page, 'copy_digest');
  await page.evaluate(() => { NpskitWeb.clipboard = ''; });
  await click(page, s.ui.copy_digest);
  await page.waitForFunction(() => NpskitWeb.clipboard !== '', null, { timeout: 5000 });
  assert.equal(await page.evaluate(() => NpskitWeb.clipboard), want.text);

  s = await settledState(page, 'export_csv');
  const [download] = await Promise.all([page.waitForEvent('download'), click(page, s.ui.export_csv)]);
  assert.equal(download.suggestedFilename(), 'npskit-figures.csv');
  const lines = readFileSync(await download.path(), 'utf8').split('\r\n').filter(Boolean);
  assert.equal(lines[0], '"section","key","start","n","promoters","passives","detractors","nps","ci_low","ci_high","shown","dismissed"');
  const total = lines[1].slice(1, -1).split('","');
  assert.equal(total[0], 'total');
  assert.equal(Number(total[3]), cli.n);
  for (const [i, k] of [[7, 'nps'], [8, 'ci_low'], [9, 'ci_high']]) assert.ok(Math.abs(Number(total[i]) - cli[k]) < 1e-9, `${k}: ${total[i]} vs CLI ${cli[k]}`);
  const trend = lines.filter((l) => l.startsWith('"trend"'));
  assert.ok(trend.length >= 2, 'a line per trend bucket');
  assert.equal(trend.reduce((sum, l) => sum + Number(l.slice(1, -1).split('","')[3]), 0), cli.n, 'the buckets add up to the total');
  assert.equal(asked.filter((u) => u.pathname === '/v1/responses').length, 0, 'no row was asked for');
  assert.deepEqual(errors, []);
  await context.close();
});
