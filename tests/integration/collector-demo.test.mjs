// The one-process demo: the collector serves the dashboard bundle at /dashboard/, the
// dashboard reads the seeded rows with the key from its URL hash (paged NDJSON), shows the
// same histogram as /v1/aggregate, and a new answer reaches it live over /v1/stream.
// Needs the web build: $NPSKIT_BUILD_WEB/dist/dashboard (default build-web).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot, startCollector, answer, post, READ_KEY } from './collector-harness.mjs';

const require = createRequire(path.join(repoRoot, 'package.json'));
const webDist = path.resolve(repoRoot, process.env.NPSKIT_BUILD_WEB || 'build-web', 'dist');

test('dashboard served by the collector loads the seeded data with #key and updates live', async () => {
  assert.ok(existsSync(path.join(webDist, 'dashboard', 'index.html')), `${webDist}/dashboard is missing: build the web target`);
  const { chromium } = require('playwright-core');
  const c = await startCollector({ args: ['--web', webDist, '--examples', path.join(repoRoot, 'examples'), '--seed-demo', '2000', '--rate', '0'] });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader'],
  });
  try {
    const auth = { Authorization: `Bearer ${READ_KEY}` };
    const agg = await fetch(`${c.base}/v1/aggregate?by=month`, { headers: auth }).then((r) => r.json());
    const records = agg.total.histogram.reduce((s, v) => s + v, 0) + agg.total.shown + agg.total.dismissed;

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const wasm = page.waitForResponse((r) => r.url().endsWith('.wasm'));
    await page.goto(`${c.base}/dashboard/#key=${READ_KEY}`);
    const wasmResponse = await wasm;
    assert.equal(wasmResponse.status(), 200);
    assert.equal(wasmResponse.headers()['content-type'], 'application/wasm');

    const state = () => page.evaluate(() => (window.npskitDashboard ? window.npskitDashboard.state() : { ready: false }));
    let st = { ready: false };
    for (let i = 0; i < 120 && !(st.ready && st.rows === records && st.live?.state === 'live'); i++) {
      await page.waitForTimeout(250);
      st = await state();
    }
    assert.equal(st.rows, records, JSON.stringify(st.load));
    assert.equal(st.load.kind, 'collector');
    // The dashboard's all-time histogram and response rate: the collector's aggregate, same core.
    assert.deepEqual(st.histogram, agg.total.histogram);
    assert.equal(st.rate.shown, agg.total.shown);
    assert.equal(st.rate.dismissed, agg.total.dismissed);

    const live = answer({ score: 0, ts: new Date().toISOString(), comment: 'posted while the dashboard was open' });
    assert.equal((await post(c.base, live)).status, 202);
    for (let i = 0; i < 40 && st.rows !== records + 1; i++) {
      await page.waitForTimeout(250);
      st = await state();
    }
    assert.equal(st.rows, records + 1);
    assert.ok(st.live.events >= 1);
  } finally {
    await browser.close();
    await c.stop();
    c.cleanup();
  }
});
