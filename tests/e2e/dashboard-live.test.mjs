// Dashboard + collector: the initial paged load, then live updates over /v1/stream, a
// reconnect after the collector restarts (same port, same database), resuming from the cursor.
// Needs: $NPSKIT_BUILD_WEB/dist/dashboard and $NPSKIT_BUILD_NATIVE/npskit-collector.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_NATIVE, DASHBOARD_DIR, launchBrowser, waitForLoad, waitForState } from './dashboard-helpers.mjs';

const COLLECTOR = join(BUILD_NATIVE, 'npskit-collector');
const skip = !existsSync(join(DASHBOARD_DIR, 'dashboard.wasm')) ? 'no dashboard bundle'
  : !existsSync(COLLECTOR) ? `no collector at ${COLLECTOR}` : false;
const KEY = 'dashboard-live-key';
const dir = mkdtempSync(join(tmpdir(), 'npskit-live-'));
let browser;
const children = new Set();

// Starts the collector; resolves with {url, port, child} once it logs "listening".
function startCollector(port = 0, seed = 0) {
  const args = ['--port', String(port), '--db', join(dir, 'live.db'), '--read-key', KEY, '--web', DASHBOARD_DIR, '--quiet'];
  if (seed) args.push('--seed-demo', String(seed));
  const child = spawn(COLLECTOR, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr.on('data', (d) => {
      text += d;
      for (const line of text.split('\n')) {
        if (!line.includes('"listening"')) continue;
        const log = JSON.parse(line);
        resolve({ url: `http://127.0.0.1:${log.port}`, port: log.port, child });
      }
    });
    child.on('exit', (code) => reject(new Error(`collector exited (${code}): ${text}`)));
  });
}

function stop(child) {
  return new Promise((ok) => {
    if (child.exitCode !== null) return ok();
    child.on('exit', ok);
    child.kill('SIGTERM');
  });
}

async function post(url, record) {
  const res = await fetch(url + '/v1/responses', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(record) });
  assert.equal(res.status, 202, await res.text());
}

const answer = (id, score, comment) => ({ v: 1, id, type: 'response', survey: 'product-nps', score,
  ts: new Date().toISOString(), comment, attributes: { plan: 'pro' } });

before(async () => { if (!skip) browser = await launchBrowser(); });
after(async () => {
  await browser?.close();
  for (const c of children) await stop(c);
});

test('collector: paged initial load, live update within 1 s, reconnect and resume', { skip }, async (t) => {
  let collector = await startCollector(0, 400);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // The read key never travels in a URL (proxy and access logs keep URLs): only in a header.
  const urls = [];
  page.on('request', (r) => urls.push(r.url().split('#')[0]));
  await page.goto(`${collector.url}/index.html#key=${KEY}`);
  let s = await waitForLoad(page);
  assert.equal(s.load.kind, 'collector');
  assert.equal(s.load.phase, 'done', s.load.error);
  // The collector's own aggregate (SQL GROUP BY) and the dashboard's store agree.
  const agg = await (await fetch(`${collector.url}/v1/aggregate?by=week`, { headers: { Authorization: `Bearer ${KEY}` } })).json();
  const total = agg.groups.reduce((h, g) => h.map((v, i) => v + g.histogram[i]), Array(11).fill(0));
  assert.deepEqual(s.histogram, total);
  assert.equal(s.n, 400);
  s = await waitForState(page, (x) => x.live.state === 'live', { what: 'the live stream' });
  // The key was read once: gone from the address bar and from the state's hash, kept for the tab.
  assert.doesNotMatch(await page.evaluate(() => location.hash), /key=/);
  assert.doesNotMatch(s.hash, /key=/);
  assert.equal(await page.evaluate(() => JSON.parse(sessionStorage.getItem('npskit.key'))[1]), KEY);

  // One new answer: the headline moves within a second of the collector accepting it (the
  // 202 comes after SQLite's fsync, which on this shared machine alone can take most of a second).
  const sent = Date.now();
  await post(collector.url, answer('live-00000001', 10, 'Arrivé en direct'));
  const accepted = Date.now();
  s = await waitForState(page, (x) => x.n === 401, { timeout: 1000, what: 'the live answer (1 s)' });
  t.diagnostic(`live update ${Date.now() - accepted} ms after the 202, ${Date.now() - sent} ms after the POST`);
  assert.equal(s.live.events, 1);
  assert.equal(s.comments[0].comment, 'Arrivé en direct');
  // The same id again (the widget sends the comment later) updates the row, not a new one.
  await post(collector.url, answer('live-00000001', 10, 'Arrivé en direct, avec un commentaire'));
  s = await waitForState(page, (x) => x.live.events === 2, { what: 'the update event' });
  assert.equal(s.n, 401);

  // The collector goes away: the dashboard shows it and retries with backoff.
  const port = collector.port;
  await stop(collector.child);
  s = await waitForState(page, (x) => x.live.state === 'reconnecting', { what: 'the reconnecting state' });
  collector = await startCollector(port);
  await post(collector.url, answer('live-00000002', 2, 'Après le redémarrage'));
  s = await waitForState(page, (x) => x.n === 402 && x.live.state === 'live', { timeout: 15000, what: 'resume after restart' });
  assert.equal(s.detractors >= 1, true);
  assert.ok(urls.some((u) => u.includes('/v1/stream')), 'the stream was requested');
  assert.deepEqual(urls.filter((u) => u.includes(KEY)), [], 'no request URL holds the read key');
  // A reload (the address bar has no key now) still connects, with the key from sessionStorage.
  await page.reload();
  s = await waitForLoad(page);
  assert.equal(s.load.kind, 'collector');
  assert.equal(s.load.phase, 'done', s.load.error);
  assert.equal(s.n, 402);
  assert.doesNotMatch(await page.evaluate(() => location.hash), /key=/);
  await page.close();
  await stop(collector.child);
});

test('collector: a wrong read key is an error on screen, not a hang', { skip }, async () => {
  const collector = await startCollector(0);
  const page = await browser.newPage();
  await page.goto(`${collector.url}/index.html#key=not-the-key`);
  const s = await waitForLoad(page);
  assert.equal(s.load.phase, 'failed');
  assert.match(s.load.error, /HTTP 401/);
  assert.equal(s.live.state, 'off');
  await page.close();
  await stop(collector.child);
});
