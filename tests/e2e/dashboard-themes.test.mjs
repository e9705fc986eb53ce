// Dashboard in Chromium: the themes panel. A click on a theme filters every panel to the answers
// whose comment mentions it, through the view settings and the URL hash (mention=KEY), and the
// headline then equals `npskit themes`' own figure for that theme (the CLI and the page run the
// same core code); the chip clears it. Screenshots of the themes and drivers views, light and
// dark, 390 px (dpr 3) and 1440 px, under $NPSKIT_BUILD_WEB/screenshots for a person to look at.
// Needs: $NPSKIT_BUILD_WEB/dist/dashboard (em++ build) and $NPSKIT_BUILD_NATIVE/npskit (CLI).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_NATIVE, BUILD_WEB, DASHBOARD_DIR, ROOT, click, launchBrowser, startStaticServer, state, waitForState } from './dashboard-helpers.mjs';

const CLI = join(BUILD_NATIVE, 'npskit');
const DATA = join(ROOT, 'tests', 'data', 'themes-labelled.ndjson');  // 360 EN/FR comments, planted themes
const OUT = join(BUILD_WEB, 'screenshots');
const skip = !existsSync(join(DASHBOARD_DIR, 'dashboard.wasm')) ? `no dashboard bundle in ${BUILD_WEB}`
  : !existsSync(CLI) ? `no CLI at ${CLI}` : false;

let server, browser;
before(async () => {
  if (skip) return;
  mkdirSync(OUT, { recursive: true });
  server = await startStaticServer({ '/themes.ndjson': { type: 'application/x-ndjson', data: readFileSync(DATA) } });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

// `npskit themes` on the same file: every group's themes with their effects.
const close = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: dashboard ${a} vs CLI ${b}`);

function cliThemes() {
  return JSON.parse(execFileSync(CLI, ['themes', DATA], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
}

const rectOf = (page, name) => waitForState(page, (x) => x.ui && x.ui[name], { what: `the ${name} control on screen` })
  .then((x) => x.ui[name]);


// Scrolls the page until the control's top is in the upper part of the viewport.
// A panel below the fold draws nothing (no rectangle yet): scroll down until it has drawn.
async function scrollTo(page, name, viewport) {
  for (let i = 0; i < 80; ++i) {
    const r = (await state(page)).ui[name];
    if (r && r[1] >= 0 && r[1] < viewport.height * 0.35) return r;
    await page.mouse.move(viewport.width / 2, viewport.height / 2);
    await page.mouse.wheel(0, r && r[1] < 0 ? -100 : 100);
    await page.waitForTimeout(80);
  }
  return rectOf(page, name);
}

// The drivers view as drawn: every theme's chip in one column of one width, every bar from one
// zero axis (costs to its left, brings to its right) on one scale (px per point), whatever the
// labels' lengths. Rectangles from the test hook, CSS px.
function assertDriverBars(s, what) {
  const drivers = s.theme_drivers;
  assert.ok(drivers.length >= 2, `${what}: drivers to compare`);
  assert.ok(s.ui.drivers_axis, `${what}: the drivers' zero axis reported`);
  const axis = s.ui.drivers_axis[0];
  const chips = drivers.map((t) => s.ui['driver:' + t.key]);
  const bars = drivers.map((t) => s.ui['driver_bar:' + t.key]);
  const near = (a, b, tol, m) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${m} (${a} vs ${b})`);
  let scale = null;
  drivers.forEach((t, i) => {
    assert.ok(bars[i], `${what}: a bar for ${t.key}`);
    near(chips[i][0], chips[0][0], 0.5, `${t.key}'s chip starts where the first one does`);
    near(chips[i][2], chips[0][2], 0.5, `${t.key}'s chip is as wide as the first one`);
    assert.ok(bars[i][0] >= chips[i][0] + chips[i][2], `${what}: ${t.key}'s bar starts right of the label column`);
    const [x, , w] = bars[i];
    if (t.impact < 0) near(x + w, axis, 0.5, `${t.key} (costs) ends on the axis`);
    else near(x, axis, 0.5, `${t.key} (brings) starts on the axis`);
    if (Math.abs(t.impact) >= 0.5) {
      const k = w / Math.abs(t.impact);
      if (scale === null) scale = k;
      near(k, scale, 0.02 * scale + 1 / Math.abs(t.impact), `${t.key}'s px per point`);
    }
  });
}

async function openThemes(viewport, dpr, hash = '') {
  const page = await browser.newPage({ viewport, deviceScaleFactor: dpr });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}/dashboard/index.html#src=${encodeURIComponent(server.url + '/themes.ndjson')}${hash}`);
  const s = await waitForState(page, (x) => x.load.phase === 'done' && x.rows === 360, { what: 'the labelled set' });
  return { page, errors, s };
}

test('themes: a click filters every panel to the theme, as the CLI counts it, and the hash carries it', { skip }, async () => {
  const viewport = { width: 1280, height: 900 };
  const { page, errors, s } = await openThemes(viewport, 1);
  const cli = cliThemes();
  const det = cli.groups.find((g) => g.key === 'detractor').themes;
  // The panel shows the core's distinctive themes, the CLI's list for the same file.
  assert.deepEqual(s.distinctive_themes.detractor.map((t) => t.key), det.map((t) => t.key));
  const billing = det.find((t) => t.key === 'bill');
  assert.ok(billing, 'billing is a distinctive detractor theme');
  assert.notEqual(billing.with.nps, s.nps);
  // The click below goes through the theme index (built between frames once the load is done).
  const indexed = await waitForState(page, (x) => x.theme_index_ready, { what: 'the theme index' });
  assert.equal(indexed.theme_index_rows, 360);
  assert.ok(indexed.theme_index_bytes > 0);
  await scrollTo(page, 'themes_view', viewport);
  await click(page, await rectOf(page, 'theme:bill'));
  const f = await waitForState(page, (x) => x.filters.mention === 'bill', { what: 'the theme filter' });
  assert.equal(f.n, billing.with.n, 'answers that mention the theme: dashboard vs npskit themes');
  close(f.nps, billing.with.nps, 'headline NPS, dashboard vs npskit themes');
  close(f.ci_low, billing.with.ci_low, 'ci_low');
  assert.match(f.hash, /(^|&)mention=bill(&|$)/);
  assert.match(await page.evaluate(() => location.hash), /mention=bill/);
  // Every panel: the comments listed mention it, the trend sums to it, its share by period.
  assert.ok(f.comments.length > 0 && f.comments.every((c) => /bill|factur/i.test(c.comment)), 'comments mention billing');
  assert.equal(f.groups.reduce((a, g) => a + g.n, 0), f.n);
  assert.equal(f.theme.key, 'bill');
  assert.equal(f.theme.text, billing.text);
  assert.equal(f.theme.share.reduce((a, p) => a + p.mentions, 0), f.n);
  assert.equal(f.theme.share.reduce((a, p) => a + p.comments, 0), 360);
  // The chip clears it (the panel's; the filter bar's is scrolled away above).
  await click(page, await rectOf(page, 'theme_clear'));
  const cleared = await waitForState(page, (x) => x.filters.mention === '', { what: 'the theme cleared' });
  assert.equal(cleared.n, 360);
  assert.doesNotMatch(cleared.hash, /mention=/);
  // The drivers view: sorted by impact as the core sorts it; a click there filters the same way.
  await scrollTo(page, 'drivers_view', viewport);
  await click(page, await rectOf(page, 'drivers_view'));
  const top = cleared.theme_drivers[0];
  for (let i = 1; i < cleared.theme_drivers.length; ++i)
    assert.ok(Math.abs(cleared.theme_drivers[i - 1].impact) >= Math.abs(cleared.theme_drivers[i].impact));
  await click(page, await rectOf(page, 'driver:' + top.key));
  const d = await waitForState(page, (x) => x.filters.mention === top.key, { what: 'a driver selected' });
  const cliTop = cli.groups.flatMap((g) => g.themes).find((t) => t.key === top.key);
  assert.equal(d.n, cliTop.with.n);
  close(d.nps, cliTop.with.nps, 'driver NPS');
  // The filter bar's chip clears it too.
  await page.mouse.move(2, 2);  // over the page's own margin, not a panel that scrolls itself
  for (let i = 0; i < 40; ++i) await page.mouse.wheel(0, -200);
  await page.waitForTimeout(200);
  await click(page, await rectOf(page, 'theme_chip'));
  await waitForState(page, (x) => x.filters.mention === '' && x.n === 360, { what: 'the theme cleared from the filter bar' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('themes: a shared link with mention= opens filtered', { skip }, async () => {
  const { page, errors, s } = await openThemes({ width: 1280, height: 900 }, 1, '&mention=support%20ticket');
  const t = cliThemes().groups.flatMap((g) => g.themes).find((x) => x.key === 'support ticket');
  assert.equal(s.filters.mention, 'support ticket');
  if (t) assert.equal(s.n, t.with.n);
  assert.ok(s.n > 0 && s.n < 360);
  assert.ok(s.comments.every((c) => /support/i.test(c.comment) && /ticket/i.test(c.comment)));
  assert.deepEqual(errors, []);
  await page.close();
});

const sizes = [
  { name: 'narrow', viewport: { width: 390, height: 844 }, dpr: 3 },
  { name: 'wide', viewport: { width: 1440, height: 900 }, dpr: 1 },
];
for (const theme of ['light', 'dark']) {
  for (const size of sizes) {
    test(`themes screenshots: ${theme} ${size.name}`, { skip }, async () => {
      const { page, errors } = await openThemes(size.viewport, size.dpr, `&mention=bill&theme=${theme}`);
      await scrollTo(page, 'themes_view', size.viewport);
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(OUT, `themes-${theme}-${size.name}.png`) });
      await click(page, await rectOf(page, 'drivers_view'));
      await page.waitForTimeout(300);
      await scrollTo(page, 'drivers_view', size.viewport);
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(OUT, `drivers-${theme}-${size.name}.png`) });
      const st = await state(page);
      assert.equal(st.filters.theme, theme);
      assertDriverBars(st, `${theme} ${size.name}`);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
}

// Tiny data: too few comments for a theme. The panel is as tall as its one sentence, not the
// layout's 340-480 px of empty columns. And the demo data (the generator's 20,000 answers, as
// `npm start` seeds them): screenshots of both views, light and dark, narrow and wide.
const TINY = [
  { ts: '2026-01-05T10:00:00Z', score: 3, comment: 'Billing is confusing' },
  { ts: '2026-01-06T10:00:00Z', score: 9, comment: 'Great support' },
  { ts: '2026-01-07T10:00:00Z', score: 7, comment: 'ok' },
  { ts: '2026-01-08T10:00:00Z', score: 10 },
].map((r) => JSON.stringify(r)).join('\n') + '\n';

test('themes: on a tiny file the panel is short and says why there are no themes', { skip }, async () => {
  const tiny = await startStaticServer({ '/tiny.ndjson': { type: 'application/x-ndjson', data: Buffer.from(TINY) } });
  try {
    for (const size of sizes) {
      for (const theme of ['light', 'dark']) {
        const page = await browser.newPage({ viewport: size.viewport, deviceScaleFactor: size.dpr });
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${tiny.url}/dashboard/index.html#src=${encodeURIComponent(tiny.url + '/tiny.ndjson')}&theme=${theme}`);
        const s = await waitForState(page, (x) => x.load.phase === 'done' && x.rows === 4, { what: 'the tiny file' });
        assert.ok(['detractor', 'passive', 'promoter'].every((g) => s.distinctive_themes[g].length === 0), 'no theme on 3 comments');
        await scrollTo(page, 'themes_view', size.viewport);
        await page.waitForTimeout(300);
        const panel = (await state(page)).ui.themes_panel;  // CSS px
        assert.ok(panel && panel[3] < 130, `the themes panel is ${panel && panel[3]} px tall on 3 comments`);
        await page.screenshot({ path: join(OUT, `themes-tiny-${theme}-${size.name}.png`) });
        assert.deepEqual(errors, []);
        await page.close();
      }
    }
  } finally {
    await tiny.close();
  }
});

for (const theme of ['light', 'dark']) {
  for (const size of sizes) {
    test(`themes screenshots on the demo data: ${theme} ${size.name}`, { skip }, async () => {
      const page = await browser.newPage({ viewport: size.viewport, deviceScaleFactor: size.dpr });
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/dashboard/index.html#theme=${theme}`);
      await page.waitForFunction(() => window.npskitDashboard && window.npskitDashboard.loadStatus().ready);
      await page.evaluate(() => window.npskitDashboard.demo(20000));
      const s = await waitForState(page, (x) => x.load.phase === 'done' && x.rows >= 20000, { what: 'the demo data', timeout: 60000 });
      assert.ok(s.distinctive_themes.detractor.length > 0);
      await scrollTo(page, 'themes_view', size.viewport);
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(OUT, `themes-demo-${theme}-${size.name}.png`) });
      await click(page, await rectOf(page, 'drivers_view'));
      await page.waitForTimeout(300);
      await scrollTo(page, 'drivers_view', size.viewport);
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(OUT, `drivers-demo-${theme}-${size.name}.png`) });
      assertDriverBars(await state(page), `demo ${theme} ${size.name}`);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
}
