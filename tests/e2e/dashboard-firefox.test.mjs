// The dashboard in Firefox (tests/e2e/browsers.mjs): under Xvfb, where Firefox has WebGL2, the main
// case of dashboard.test.mjs (headline, CI and weekly trend equal the CLI for a URL-loaded NDJSON);
// headless, where it has none, a clear message in the page instead of a blank canvas, and the same
// message in Chromium with WebGL turned off. Screenshots in $NPSKIT_BUILD_WEB/screenshots/dashboard/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { firefoxMissing, launchFirefox, waitUntil } from './browsers.mjs';
import { BUILD_NATIVE, BUILD_WEB, DASHBOARD_DIR, DATA_DIR, startStaticServer } from './dashboard-helpers.mjs';

const require = createRequire(import.meta.url);
const CLI = join(BUILD_NATIVE, 'npskit');
const SHOTS = join(BUILD_WEB, 'screenshots', 'dashboard');
const noBundle = !existsSync(join(DASHBOARD_DIR, 'dashboard.wasm')) ? `no dashboard bundle in ${BUILD_WEB}` : false;
const skip = noBundle || firefoxMissing();
const skipXvfb = noBundle || (!existsSync(CLI) && `no CLI at ${CLI}`) || firefoxMissing({ display: true });

let server;
before(async () => {
  if (noBundle) return;
  server = await startStaticServer();
  mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await server?.close();
});

// What the page shows: the message's text (or null), whether the canvas is visible, whether the wasm started.
const pageState = () => ({
  message: document.getElementById('npskit-no-webgl2')?.innerText ?? null,
  role: document.getElementById('npskit-no-webgl2')?.getAttribute('role') ?? null,
  canvasShown: document.getElementById('canvas').getBoundingClientRect().height > 0,
  // On screen, not only in the DOM: inside the viewport (the page does not scroll) and visible.
  messageOnScreen: (() => {
    const box = document.getElementById('npskit-no-webgl2'), r = box?.getBoundingClientRect();
    return !!r && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && box.checkVisibility();
  })(),
  started: !!window.npskitDashboard,
  dashboardScript: !!document.querySelector('script[src="dashboard.js"]'),
});
function assertMessage(s, where) {
  assert.ok(s.message, `${where}: a message in the page`);
  assert.match(s.message, /WebGL 2/, `${where}: says what is missing`);
  assert.match(s.message, /Chrome/, `${where}: says which browsers work`);
  assert.match(s.message, /Firefox/);
  assert.equal(s.role, 'alert');
  assert.equal(s.messageOnScreen, true, `${where}: the message is on screen`);
  assert.equal(s.canvasShown, false, `${where}: no blank canvas`);
  assert.equal(s.dashboardScript, false, `${where}: the wasm is not started`);
}

test('headless Firefox (no WebGL2): the dashboard says what is missing and which browsers work', { skip }, async () => {
  const ff = await launchFirefox();
  try {
    const page = await ff.newPage({ width: 1280, height: 900 });
    await page.goto(`${server.url}/dashboard/index.html`);
    await waitUntil(page, () => !!(document.getElementById('npskit-no-webgl2') || window.npskitDashboard), undefined,
                    { what: 'the message or the dashboard' });
    const s = await page.evaluate(pageState);
    assert.equal(await page.evaluate(() => !!document.createElement('canvas').getContext('webgl2')), false,
                 'headless Firefox has no WebGL2 here (else this case tests nothing)');
    assertMessage(s, 'Firefox headless');
    await page.screenshot({ path: join(SHOTS, 'no-webgl2-firefox.png') });
    assert.deepEqual(page.errors, []);
  } finally {
    await ff.close();
  }
});

test('Chromium with WebGL turned off: the same message', { skip: noBundle }, async () => {
  const { chromium } = require('playwright-core');
  for (const flag of ['--disable-webgl', '--disable-webgl2']) {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--enable-unsafe-swiftshader', flag] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/dashboard/index.html`);
      await page.locator('#npskit-no-webgl2').waitFor();
      assertMessage(await page.evaluate(pageState), `Chromium ${flag}`);
      await page.screenshot({ path: join(SHOTS, `no-webgl2-chromium${flag.slice(9)}.png`) });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  }
});

test('Firefox under Xvfb: headline, CI and weekly trend equal the CLI for the same NDJSON (loaded from a URL)', { skip: skipXvfb, timeout: 150_000 }, async () => {
  const ff = await launchFirefox({ display: true });
  try {
    const page = await ff.newPage({ width: 1280, height: 900 });
    await page.goto(`${server.url}/dashboard/index.html#src=${encodeURIComponent(server.url + '/data/responses.ndjson')}`);
    const s = await waitUntil(page, () => {
      const st = window.npskitDashboard && window.npskitDashboard.state();
      return st && st.ready && ['done', 'failed', 'mapping'].includes(st.load.phase) ? st : null;
    }, undefined, { timeout: 60000, what: 'the dashboard to load the URL' });
    const c = JSON.parse(execFileSync(CLI, ['score', '--by', 'week', join(DATA_DIR, 'responses.ndjson')], { encoding: 'utf8' }));
    assert.equal(s.load.phase, 'done', s.load.error);
    assert.equal(s.load.kind, 'url');
    assert.equal(s.n, c.n);
    for (const k of ['nps', 'ci_low', 'ci_high', 'margin']) assert.ok(Math.abs(s[k] - c[k]) < 1e-9, `${k}: ${s[k]} vs ${c[k]}`);
    assert.equal(s.nps_rounded, c.nps_rounded);
    assert.deepEqual(s.histogram, c.histogram);
    assert.equal(s.load.bad_rows, c.skipped_rows);
    assert.equal(s.trend.length, c.groups.length);
    s.trend.forEach((g, i) => {
      assert.equal(g.key, c.groups[i].key);
      assert.equal(g.n, c.groups[i].n, `${g.key} n`);
      if (g.n) for (const k of ['nps', 'ci_low', 'ci_high']) assert.ok(Math.abs(g[k] - c.groups[i][k]) < 1e-9, `${g.key} ${k}`);
    });
    const st = await page.evaluate(pageState);
    assert.equal(st.message, null, 'no WebGL2 message where WebGL2 works');
    assert.ok(st.canvasShown && st.started);
    await new Promise((ok) => setTimeout(ok, 500));  // a few frames drawn
    await page.screenshot({ path: join(SHOTS, 'firefox-xvfb.png') });
    assert.deepEqual(page.errors, []);
  } finally {
    await ff.close();
  }
});
