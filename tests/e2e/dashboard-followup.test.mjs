// The follow-up panel (issue 15) in a real browser: on a collector source it lists the planted
// detractor who agreed to be contacted first, marking it contacted (with the admin key typed
// into the panel, kept in memory only) reaches the collector, and the CSV export has the status;
// on a file source the status is kept in the page (localStorage) across a reload. Screenshots,
// light and dark, 390 px and 1440 px, go to $NPSKIT_SHOTS (default /tmp/shots/h3) for a person.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_NATIVE, DASHBOARD_DIR, click, fresh, launchBrowser, settledState, startStaticServer, typeInto, waitForLoad, waitForState } from './dashboard-helpers.mjs';

const COLLECTOR = join(BUILD_NATIVE, 'npskit-collector');
const skip = !existsSync(join(DASHBOARD_DIR, 'dashboard.wasm')) ? 'no dashboard bundle'
  : !existsSync(COLLECTOR) ? `no collector at ${COLLECTOR}` : false;
const KEY = 'dashboard-followup-read-key';
const ADMIN_KEY = 'dashboard-followup-admin-key';
const SHOTS = process.env.NPSKIT_SHOTS || '/tmp/shots/h3';
const dir = mkdtempSync(join(tmpdir(), 'npskit-followup-'));
let browser, collector, server;

function startCollector() {
  const args = ['--port', '0', '--db', join(dir, 'f.db'), '--read-key', KEY, '--admin-key', ADMIN_KEY, '--web', DASHBOARD_DIR, '--quiet'];
  const child = spawn(COLLECTOR, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr.on('data', (d) => {
      text += d;
      for (const line of text.split('\n'))
        if (line.includes('"listening"')) resolve({ url: `http://127.0.0.1:${JSON.parse(line).port}`, child });
    });
    child.on('exit', (code) => reject(new Error(`collector exited (${code}): ${text}`)));
  });
}

const day = 86400000;
const iso = (ms) => new Date(ms).toISOString();
const now = Date.now();
// The planted one is older than the other detractors: the opt-in puts it first anyway.
const planted = { v: 1, id: 'planted-contact-01', type: 'response', survey: 'product-nps', score: 2, ts: iso(now - 5 * day),
  comment: 'Exports keep failing <script>alert(1)</script>', contact_ok: true, email: 'dana@example.com', attributes: { plan: 'pro', seats: '12' } };
const others = [
  { id: 'detractor-comment-01', score: 5, ts: iso(now - day), comment: '=HYPERLINK("http://evil.test","x") too slow' },
  { id: 'detractor-silent-001', score: 4, ts: iso(now - day) },
  { id: 'passive-comment-0001', score: 7, ts: iso(now - 2 * day), comment: 'Add SSO and I would recommend it', attributes: { plan: 'team' } },
  { id: 'promoter-comment-001', score: 10, ts: iso(now - 3 * day), comment: 'Love the dashboard' },
  { id: 'promoter-plain-00001', score: 9, ts: iso(now - 3 * day) },
].map((r) => ({ v: 1, type: 'response', survey: 'product-nps', ...r }));

before(async () => {
  if (skip) return;
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
  collector = await startCollector();
  for (const r of [planted, ...others]) {
    const res = await fetch(collector.url + '/v1/responses', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(r) });
    assert.equal(res.status, 202, await res.text());
  }
  writeFileSync(join(dir, 'answers.ndjson'), [planted, ...others].map((r) => JSON.stringify(r)).join('\n') + '\n');
  server = await startStaticServer();
});
after(async () => {
  await browser?.close();
  await server?.close();
  if (collector) { collector.child.kill('SIGTERM'); await new Promise((ok) => collector.child.once('exit', ok)); }
  rmSync(dir, { recursive: true, force: true });
});

// The panel in view, its controls measured after the scroll.
async function showPanel(page) {
  await page.evaluate(() => window.npskitDashboard.showFollowUp());
  await page.waitForTimeout(300);
  await waitForState(page, (s) => s.ui.follow_up_tab_0 && s.ui.follow_up_tab_0[1] >= 0, { what: 'the follow-up panel in view' });
  return settledState(page, 'follow_up_by');  // the scroll can go on for a few frames
}
async function exportCsv(page, s) {
  const [download] = await Promise.all([page.waitForEvent('download'), click(page, s.ui.follow_up_export)]);
  assert.equal(download.suggestedFilename(), 'npskit-follow-up.csv');
  return readFileSync(await download.path(), 'utf8');
}

test('collector source: the opt-in detractor first; contacted reaches the collector; the CSV has it; the key stays in memory', { skip }, async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${collector.url}/index.html#key=${KEY}`);
  await waitForLoad(page);
  let s = await waitForState(page, (x) => x.n === 6 && x.follow_up.loaded, { what: 'the answers and the statuses' });
  assert.equal(s.follow_up.collector, true);
  assert.deepEqual(s.follow_up.rows.map((r) => [r.id, r.group]), [['planted-contact-01', 'detractor_contact'], ['detractor-comment-01', 'detractor_comment']]);
  assert.equal(s.follow_up.rows[0].email, 'dana@example.com');
  assert.deepEqual(s.follow_up.open, [2, 1, 2]);
  s = await showPanel(page);
  await page.screenshot({ path: join(SHOTS, 'followup-light-1440.png') });

  // Without the admin key nothing is sent; with it, the PATCH lands.
  await typeInto(page, s.ui.follow_up_by, 'anna');
  await click(page, s.ui.follow_up_row0_contacted);
  await waitForState(page, (x) => /admin key/.test(x.follow_up.message), { what: 'the admin-key notice' });
  s = await fresh(page);
  await typeInto(page, s.ui.follow_up_key, ADMIN_KEY);
  s = await fresh(page);
  await click(page, s.ui.follow_up_row0_contacted);
  s = await waitForState(page, (x) => x.follow_up.rows[0].status === 'contacted' && !x.follow_up.rows[0].sending, { what: 'the saved status' });
  assert.equal(s.follow_up.rows[0].by, 'anna');
  assert.deepEqual(s.follow_up.open, [1, 1, 2]);
  s = await fresh(page);
  const stored = await (await fetch(`${collector.url}/v1/follow-ups`, { headers: { Authorization: `Bearer ${KEY}` } })).json();
  assert.deepEqual(stored.items.map((m) => [m.id, m.status, m.by]), [['planted-contact-01', 'contacted', 'anna']]);
  // The answer itself is as it was.
  const rows = await (await fetch(`${collector.url}/v1/responses`, { headers: { Authorization: `Bearer ${KEY}` } })).json();
  assert.equal(rows.items.find((r) => r.id === planted.id).comment, planted.comment);
  // The admin key: never in the address, never in storage.
  assert.ok(!page.url().includes(ADMIN_KEY), page.url());
  const stores = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.ok(!stores.includes(ADMIN_KEY), stores);

  const csv = await exportCsv(page, s);
  const lines = csv.trim().split('\r\n');
  assert.match(lines[0], /^"group","status","by","marked_at","note","id"/);
  assert.match(lines[1], /^"detractor_contact","contacted","anna","[^"]+","","planted-contact-01"/);
  assert.ok(csv.includes('"\'=HYPERLINK(""http://evil.test"",""x"") too slow"'), 'formula escaped');
  // The status filter: only to do.
  await click(page, s.ui.follow_up_status_todo);
  s = await waitForState(page, (x) => x.follow_up.statuses === 1, { what: 'the to-do filter' });
  const again = await (await fetch(`${collector.url}/v1/follow-ups`, { headers: { Authorization: `Bearer ${KEY}` } })).json();
  assert.deepEqual(s.follow_up.rows.map((r) => r.id), ['detractor-comment-01'], JSON.stringify({ again, msg: s.follow_up.message }));
  s = await fresh(page);
  await click(page, s.ui.follow_up_status_all);
  await waitForState(page, (x) => x.follow_up.statuses === 7, { what: 'all statuses again' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('file source: the status is kept in the page across a reload and goes into the CSV', { skip }, async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const open = async () => {
    await page.goto(`${server.url}/dashboard/index.html`);
    await waitForState(page, () => true);
    await page.setInputFiles('#npskit-file', join(dir, 'answers.ndjson'));
    return waitForState(page, (x) => x.load.name === 'answers.ndjson' && x.load.phase === 'done', { what: 'the file' });
  };
  let s = await open();
  assert.equal(s.follow_up.collector, false);
  assert.equal(s.follow_up.rows[0].id, planted.id);
  s = await showPanel(page);
  await typeInto(page, s.ui.follow_up_by, 'bo');
  s = await fresh(page);
  await click(page, s.ui.follow_up_row0_resolved);
  s = await waitForState(page, (x) => x.follow_up.rows[0].status === 'resolved', { what: 'the status kept in the page' });
  assert.match(await page.evaluate(() => localStorage.getItem('npskit.follow-up.file:answers.ndjson')), /"resolved"/);
  await page.reload();
  s = await open();
  assert.equal(s.follow_up.rows[0].status, 'resolved');
  assert.equal(s.follow_up.rows[0].by, 'bo');
  await showPanel(page);
  s = await fresh(page);
  const csv = await exportCsv(page, s);
  assert.match(csv.split('\r\n')[1], /^"detractor_contact","resolved","bo",/);
  assert.deepEqual(errors, []);
  await page.close();
});

for (const theme of ['light', 'dark']) {
  for (const width of [390, 1440]) {
    test(`screenshot: the follow-up panel, ${theme}, ${width} px`, { skip }, async () => {
      const dpr = width === 390 ? 3 : 1;
      const page = await browser.newPage({ viewport: { width, height: 844 }, deviceScaleFactor: dpr });
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${collector.url}/index.html#key=${KEY}&theme=${theme}`);
      await waitForState(page, (x) => x.n === 6 && x.follow_up.loaded, { what: 'the answers and the statuses' });
      const s = await showPanel(page);
      assert.equal(s.filters.theme, theme);
      await page.screenshot({ path: join(SHOTS, `followup-${theme}-${width}.png`) });
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
}
