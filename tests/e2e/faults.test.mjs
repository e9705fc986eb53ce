// Nothing lost, nothing duplicated, end to end: the real widget in headless Chromium posting to
// a real collector, through the seeded fault proxy (tests/tools/fault-proxy.mjs: 5xx, 429 +
// Retry-After, hangs, resets before and after the collector stored the request, slow bodies) on
// 30 % of POSTs; pages reloaded and tabs closed in the middle. Also: offline and back, and the
// collector SIGKILLed and restarted while the widget retries.
//   NPSKIT_FAULT_ANSWERS (default 200; `npm run soak` uses 1000), NPSKIT_FAULT_SEED (default 7).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostPage, launch, requireBundle, DIST, sleep } from './widget-helpers.mjs';
import { startFaultProxy } from '../tools/fault-proxy.mjs';
import { startStaticServer } from '../tools/static-server.mjs';
import { startTestEndpoint } from '../tools/test-endpoint.mjs';
import { startCollector, readAll, tempDir, removeDir, READ_KEY } from '../integration/collector-harness.mjs';

const ANSWERS = Number(process.env.NPSKIT_FAULT_ANSWERS || 200);
const SEED = Number(process.env.NPSKIT_FAULT_SEED || 7);
const CONTEXTS = 4;

// Seeded choices for the test's own actions (what to answer, when to reload or close).
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Shows the prompt, chooses `score`, closes the follow-up: one answer (one new id).
async function answerOnce(page, score) {
  const ok = await page.evaluate(async (s) => {
    const wait = async (f) => {
      for (let k = 0; k < 300; k++) { const v = f(); if (v) return v; await new Promise((r) => setTimeout(r, 10)); }
      return null;
    };
    window.npskit('show');
    const host = await wait(() => document.querySelector('npskit-prompt'));
    const radios = host && await wait(() => { const l = host.shadowRoot.querySelectorAll('[role=radio]'); return l.length === 11 ? l : null; });
    if (!radios) return false;
    radios[s].click();
    const close = await wait(() => host.shadowRoot.querySelector('textarea') && host.shadowRoot.querySelector('button.x'));
    if (close) close.click();
    await wait(() => !document.querySelector('npskit-prompt'));
    return true;
  }, score);
  assert.ok(ok, 'the prompt showed its 11 choices');
}

// Every POST body any page sent (fetch or beacon), as seen by the browser.
function watchRequests(page, seen) {
  page.on('request', (req) => {
    if (req.method() !== 'POST' || !req.url().includes('/v1/responses')) return;
    try {
      const b = JSON.parse(req.postData() || '');
      if (b.type === 'response' || b.type === undefined) seen.set(b.id, b.score);
    } catch { /* not JSON: would fail the id comparison below */ }
  });
}

async function openPage(context, url, seen, errors) {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  watchRequests(page, seen);
  await page.goto(url);
  await page.waitForFunction(() => window.npskit && window.npskit.loaded, null, { timeout: 20000 });
  return page;
}

const queueOf = (page) => page.evaluate(() => localStorage.getItem('npskit:q') || '');

async function drain(page, timeoutMs) {
  await page.waitForFunction(() => !localStorage.getItem('npskit:q'), null, { timeout: timeoutMs, polling: 200 });
}

function histogram(scores) {
  const h = Array(11).fill(0);
  for (const s of scores) h[s]++;
  return h;
}

function page(data) {
  return hostPage({ data: { displayEvents: 'false', retryBaseMs: '100', ...data } });
}

describe('faults end to end', () => {
  let browser;
  before(async () => {
    requireBundle();
    browser = await launch();
  });
  after(async () => { await browser?.close(); });

  test(`${ANSWERS} answers from ${CONTEXTS} browsers under 30 % injected faults, with reloads and closed tabs: each stored exactly once`, async () => {
    const web = tempDir('npskit-faults-web-');
    mkdirSync(join(web, 'f'));
    writeFileSync(join(web, 'f', 'index.html'), page({}));
    const c = await startCollector({ args: ['--rate', '0', '--origins', '*', '--web', DIST, '--examples', web, '--quiet'] });
    let posts = 0;
    const proxy = await startFaultProxy({ upstream: c.base, rate: 0.3, seed: SEED, hangMs: 1000, retryAfterSeconds: 1,
      only: (req) => req.method === 'POST' && ++posts > 0 });
    const url = `${proxy.url}/examples/f/`;
    const random = rng(SEED);
    const seen = new Map();   // id -> score, from every POST the browsers made
    const errors = [];
    const clicked = [];       // scores chosen, one per answer
    let reloads = 0, closes = 0;
    const started = Date.now();
    try {
      const perContext = Math.ceil(ANSWERS / CONTEXTS);
      await Promise.all(Array.from({ length: CONTEXTS }, async (_, w) => {
        const context = await browser.newContext();
        let p = await openPage(context, url, seen, errors);
        for (let i = 0; i < perContext && w * perContext + i < ANSWERS; i++) {
          const score = Math.floor(random() * 11);
          await answerOnce(p, score);
          clicked.push(score);
          const r = random();
          if (r < 0.06) {             // reload while records may wait for a retry
            reloads++;
            await p.reload();
            await p.waitForFunction(() => window.npskit && window.npskit.loaded);
          } else if (r < 0.12) {      // the tab is closed; the user comes back later in a new one
            closes++;
            await p.close();
            await sleep(Math.floor(random() * 300));
            p = await openPage(context, url, seen, errors);
          }
        }
        // Recovery: the last tab stays open until its queue is empty (faults continue).
        await drain(p, 90000).catch(async () => assert.fail(`browser ${w}: queue not empty: ${(await queueOf(p)).slice(0, 300)}`));
      }));
      const rows = (await readAll(c.base, READ_KEY)).items.filter((r) => r.type === 'response');
      const stored = new Map(rows.map((r) => [r.id, r.score]));
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const faults = proxy.counts.requests - proxy.counts.passed;
      console.log(`# faults e2e: ${clicked.length} answers, ${rows.length} stored, ${proxy.counts.requests} proxied requests, ` +
        `${posts} POSTs, ${faults} faults ${JSON.stringify(proxy.counts)}, ${reloads} reloads, ${closes} closed tabs, ${seconds} s`);
      assert.equal(clicked.length, ANSWERS);
      assert.equal(rows.length, stored.size, 'one row per id');
      assert.equal(rows.length, ANSWERS, `stored ${rows.length} of ${ANSWERS} answers`);
      assert.deepEqual(histogram(rows.map((r) => r.score)), histogram(clicked), 'the stored scores are the chosen ones');
      assert.deepEqual([...stored.keys()].sort(), [...seen.keys()].sort(), 'the ids stored are the ids the widget sent');
      for (const [id, score] of seen) assert.equal(stored.get(id), score, id);
      assert.ok(faults >= 0.2 * posts, `faults were injected on about 30 % of POSTs (${faults} of ${posts})`);
      for (const f of ['status_503', 'status_429', 'reset_after', 'reset_before', 'hang']) assert.ok(proxy.counts[f] > 0, `${f} happened`);
      assert.deepEqual(errors, [], 'no exception reached the host page');
    } finally {
      await proxy.close();
      await c.stop();
      c.cleanup();
      removeDir(web);
    }
  });

  test('offline, then back online: answers given offline are delivered after reconnect', async () => {
    const web = tempDir('npskit-offline-web-');
    mkdirSync(join(web, 'o'));
    writeFileSync(join(web, 'o', 'index.html'), page({}));
    const c = await startCollector({ args: ['--rate', '0', '--web', DIST, '--examples', web, '--quiet'] });
    const seen = new Map(), errors = [];
    try {
      const context = await browser.newContext();
      const p = await openPage(context, `${c.base}/examples/o/`, seen, errors);
      await context.setOffline(true);
      const scores = [10, 0, 7, 3, 9];
      for (const s of scores) await answerOnce(p, s);
      await sleep(800);  // retries fail while offline
      assert.equal((await readAll(c.base, READ_KEY)).items.length, 0, 'nothing can arrive while offline');
      assert.match(await queueOf(p), /"score":3/, 'the answers wait in the queue');
      await context.setOffline(false);
      await drain(p, 20000);
      const rows = (await readAll(c.base, READ_KEY)).items;
      assert.equal(rows.length, scores.length);
      assert.deepEqual(histogram(rows.map((r) => r.score)), histogram(scores));
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      await c.stop();
      c.cleanup();
      removeDir(web);
    }
  });

  test('collector SIGKILLed three times while browsers answer: every answer is stored once after restarts', async () => {
    const dir = tempDir('npskit-kill-');
    const db = join(dir, 'kill.db');
    mkdirSync(join(dir, 'web'));
    writeFileSync(join(dir, 'web', 'k.html'), '');  // placeholder, replaced below when the collector origin is known
    const stat = await startStaticServer({ '/': DIST, '/pages/': join(dir, 'web') });
    let c = await startCollector({ db, args: ['--rate', '0', '--origins', stat.origin, '--quiet'] });
    const port = c.port;
    writeFileSync(join(dir, 'web', 'k.html'), page({ endpoint: `${c.base}/v1/responses` }));
    const seen = new Map(), errors = [], clicked = [];
    const random = rng(SEED + 1);
    let running = true, kills = 0;
    try {
      const answering = Promise.all(Array.from({ length: 3 }, async () => {
        const context = await browser.newContext();
        const p = await openPage(context, `${stat.origin}/pages/k.html`, seen, errors);
        for (let i = 0; i < 30; i++) {
          const score = Math.floor(random() * 11);
          await answerOnce(p, score);
          clicked.push(score);
          await sleep(30);
        }
        while (running) await sleep(100);
        await drain(p, 60000).catch(async () => assert.fail(`queue not empty: ${(await queueOf(p)).slice(0, 300)}`));
      }));
      const killer = (async () => {
        for (let k = 0; k < 3; k++) {
          // Kill after some new rows are acknowledged, at a different point each time.
          const target = clicked.length + 10 + k * 5;
          const deadline = Date.now() + 30000;
          while (clicked.length < Math.min(target, 85) && Date.now() < deadline) await sleep(20);
          await sleep(Math.floor(random() * 200));
          const exit = await c.kill9();
          assert.equal(exit.signal, 'SIGKILL');
          kills++;
          await sleep(300 + Math.floor(random() * 500));  // down: the widget's retries fail
          c = await startCollector({ db, args: ['--port', String(port), '--rate', '0', '--origins', stat.origin, '--quiet'] });
        }
      })();
      await killer;
      while (clicked.length < 90) await sleep(50);
      running = false;
      await answering;
      const rows = (await readAll(c.base, READ_KEY)).items;
      console.log(`# kill e2e: ${clicked.length} answers, ${kills} kills, ${rows.length} rows stored`);
      assert.equal(kills, 3);
      assert.equal(rows.length, clicked.length, `stored ${rows.length} of ${clicked.length}`);
      assert.equal(new Set(rows.map((r) => r.id)).size, rows.length);
      assert.deepEqual(histogram(rows.map((r) => r.score)), histogram(clicked));
      assert.deepEqual(rows.map((r) => r.id).sort(), [...seen.keys()].sort());
      assert.deepEqual(errors, []);
    } finally {
      running = false;
      await c.stop();
      await stat.close();
      removeDir(dir);
    }
  });

  test('localStorage full: answers of the session still go out (through 503s)', async () => {
    const ep = await startTestEndpoint({ roots: { '/': DIST }, pages: { '/full': { body: page({}) } } });
    const context = await browser.newContext();
    const errors = [], notes = [];
    try {
      const p = await context.newPage();
      p.on('pageerror', (e) => errors.push(String(e)));
      p.on('console', (m) => notes.push(m.text()));
      await p.goto(`${ep.origin}/full`);
      // Fill the origin's storage quota, then let the widget start.
      const filled = await p.evaluate(() => {
        const block = 'x'.repeat(256 * 1024);
        let n = 0;
        try { for (;;) { localStorage.setItem(`fill-${n}`, block); n++; } } catch { /* full */ }
        try { for (let k = 0; ; k++) localStorage.setItem(`fill-small-${k}`, 'x'.repeat(1024)); } catch { /* full */ }
        return n;
      });
      assert.ok(filled > 0);
      await p.reload();
      await p.waitForFunction(() => window.npskit && window.npskit.loaded);
      ep.setFailures(3, 503);
      for (const score of [4, 10, 8]) await answerOnce(p, score);
      await ep.waitFor(() => ep.accepted.length >= 3, 20000);
      await sleep(300);
      const accepted = ep.accepted.map((r) => r.body);
      assert.equal(new Set(accepted.map((b) => b.id)).size, 3);
      assert.deepEqual(accepted.map((b) => b.score).sort((a, b) => a - b), [4, 8, 10]);
      assert.deepEqual(errors, []);
      if (!notes.some((n) => /storage|quota/i.test(n))) console.log('# note: the widget logs no console note when storage is full (issue 7 asks for one)');
    } finally {
      await context.close();
      await ep.close();
    }
  });

  // Two tabs of one browser share `npskit:q`, but each keeps its own copy in memory and writes
  // it whole: the last tab to write wins, and a record only the other tab knew is gone from
  // storage. Reported to the widget owner; kept as a todo until the queue merges on write.
  test('two tabs of one browser, endpoint down, both closed: both answers delivered later', {
    todo: 'widget: tabs overwrite each other\'s npskit:q (last writer wins), so a record can be lost',
  }, async () => {
    const ep = await startTestEndpoint({ roots: { '/': DIST }, pages: { '/tabs': { body: page({}) } } });
    const context = await browser.newContext();
    try {
      ep.setFailures(100000, 503);
      const a = await context.newPage();
      await a.goto(`${ep.origin}/tabs`);
      await a.waitForFunction(() => window.npskit && window.npskit.loaded);
      const b = await context.newPage();
      await b.goto(`${ep.origin}/tabs`);
      await b.waitForFunction(() => window.npskit && window.npskit.loaded);
      await answerOnce(a, 2);
      await answerOnce(b, 9);
      await sleep(300);
      await b.close();
      await a.close();
      ep.setFailures(0);
      const c = await context.newPage();
      await c.goto(`${ep.origin}/tabs`);
      await c.waitForFunction(() => window.npskit && window.npskit.loaded);
      await ep.waitFor(() => ep.accepted.length >= 2, 4000).catch(() => {});
      const scores = [...new Set(ep.accepted.map((r) => `${r.body.id}:${r.body.score}`))].map((x) => Number(x.split(':')[1])).sort((x, y) => x - y);
      assert.deepEqual(scores, [2, 9], `delivered: ${JSON.stringify(scores)}`);
    } finally {
      await context.close();
      await ep.close();
    }
  });
});
