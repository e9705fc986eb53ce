// Screenshots of the dashboard, light and dark, narrow (390 px, dpr 3 like a phone) and wide
// (1280 px, dpr 1), written under $NPSKIT_BUILD_WEB/screens for a person to look at.
// The test checks what it can without eyes: the canvas is sized to CSS × devicePixelRatio,
// the theme follows the hash, and the page has no error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_WEB, DASHBOARD_DIR, launchBrowser, startStaticServer, waitForState } from './dashboard-helpers.mjs';

const skip = !existsSync(join(DASHBOARD_DIR, 'dashboard.wasm')) ? 'no dashboard bundle' : false;
const OUT = join(BUILD_WEB, 'screens');
let server, browser;
before(async () => {
  if (skip) return;
  mkdirSync(OUT, { recursive: true });
  server = await startStaticServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.close(); });

const sizes = [
  { name: 'narrow', viewport: { width: 390, height: 844 }, dpr: 3 },
  { name: 'wide', viewport: { width: 1280, height: 900 }, dpr: 1 },
];

for (const theme of ['light', 'dark']) {
  for (const size of sizes) {
    test(`screens: ${theme} ${size.name}`, { skip }, async () => {
      const page = await browser.newPage({ viewport: size.viewport, deviceScaleFactor: size.dpr });
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/dashboard/index.html#theme=${theme === 'dark' ? 'dark' : 'light'}`);
      await waitForState(page, () => true);
      await page.evaluate(() => window.npskitDashboard.demo(20000));
      const s = await waitForState(page, (x) => x.n === 20000, { what: 'demo data' });
      assert.equal(s.filters.theme, theme);
      assert.equal(s.dpr, size.dpr);
      const canvas = await page.evaluate(() => {
        const c = document.getElementById('canvas');
        return { w: c.width, h: c.height, cw: c.clientWidth, ch: c.clientHeight };
      });
      assert.equal(canvas.w, Math.round(canvas.cw * size.dpr));
      assert.equal(canvas.h, Math.round(canvas.ch * size.dpr));
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(OUT, `dashboard-${theme}-${size.name}.png`) });
      // Scrolled down: the lower panels (comments, breakdown, response rate).
      await page.mouse.move(size.viewport.width / 2, size.viewport.height / 2);
      for (let i = 0; i < 12; ++i) await page.mouse.wheel(0, 100);
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(OUT, `dashboard-${theme}-${size.name}-scrolled.png`) });
      // Resize: the canvas follows the window.
      await page.setViewportSize({ width: size.viewport.width - 100, height: size.viewport.height - 100 });
      await page.waitForTimeout(200);
      const resized = await page.evaluate(() => document.getElementById('canvas').width);
      assert.equal(resized, Math.round((size.viewport.width - 100) * size.dpr));
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
}
