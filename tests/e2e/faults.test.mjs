// Nothing lost, nothing duplicated, end to end: the real widget in headless Chromium posting to
// a real collector, through the seeded fault proxy (tests/tools/fault-proxy.mjs: 5xx, 429 +
// Retry-After, hangs, resets before and after the collector stored the request, slow bodies) on
// 30 % of POSTs; pages reloaded and tabs closed in the middle. Also: offline and back. The
// collector SIGKILLed under the widget's retries, storage full, two tabs: faults-kill.test.mjs.
//   NPSKIT_FAULT_ANSWERS (default 200; `npm run soak` uses 1000), NPSKIT_FAULT_SEED (default 7).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, requireBundle, DIST, sleep } from './widget-helpers.mjs';
import { startFaultProxy } from '../tools/fault-proxy.mjs';
import { startCollector, readAll, tempDir, removeDir, READ_KEY } from '../integration/collector-harness.mjs';
import { rng, answerOnce, openPage, queueOf, drain, histogram, page } from './faults-helpers.mjs';

const ANSWERS = Number(process.env.NPSKIT_FAULT_ANSWERS || 200);
const SEED = Number(process.env.NPSKIT_FAULT_SEED || 7);
const CONTEXTS = 4;

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

});
