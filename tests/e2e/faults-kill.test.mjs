// Nothing lost end to end, continued (faults.test.mjs has the fault-proxy run): the collector
// SIGKILLed and restarted while browsers answer and the widget retries; localStorage full; two
// tabs of one browser sharing the queue.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, requireBundle, DIST, sleep } from './widget-helpers.mjs';
import { startStaticServer } from '../tools/static-server.mjs';
import { startTestEndpoint } from '../tools/test-endpoint.mjs';
import { startCollector, readAll, tempDir, removeDir, READ_KEY } from '../integration/collector-harness.mjs';
import { rng, answerOnce, openPage, queueOf, drain, histogram, page } from './faults-helpers.mjs';

const SEED = Number(process.env.NPSKIT_FAULT_SEED || 7);

describe('faults end to end: kills, storage, tabs', () => {
  let browser;
  before(async () => {
    requireBundle();
    browser = await launch();
  });
  after(async () => { await browser?.close(); });

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
      const storageNotes = notes.filter((n) => /npskit/.test(n) && /localStorage/i.test(n));
      assert.equal(storageNotes.length, 1, `one console note about storage, got: ${JSON.stringify(notes)}`);
    } finally {
      await context.close();
      await ep.close();
    }
  });

  // Two tabs of one browser share `npskit:q`, each with its own queue in memory: a save carries
  // over the other tab's lines (src/core/delivery.h to_text), so the last writer erases nothing.
  test('two tabs of one browser, endpoint down, both closed: both answers delivered later', async () => {
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
