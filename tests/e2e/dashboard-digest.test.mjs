// The dashboard's "Copy digest" button: the text it puts on the clipboard (io.SetClipboardTextFn →
// NpskitWeb.clipboard and navigator.clipboard) is `npskit digest FILE`'s for the same file, from
// the same core function. Screenshots of the toolbar with the button (light, dark; 390 and 1440
// px wide) go to $NPSKIT_SHOTS (default /tmp/shots/h4).
// Needs: $NPSKIT_BUILD_WEB/dist/dashboard (em++ build) and $NPSKIT_BUILD_NATIVE/npskit (CLI).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_NATIVE, BUILD_WEB, DASHBOARD_DIR, click, launchBrowser, startStaticServer, state, waitForState } from './dashboard-helpers.mjs';

const CLI = join(BUILD_NATIVE, 'npskit');
const skip = !existsSync(join(DASHBOARD_DIR, 'dashboard.wasm')) ? `no dashboard bundle in ${BUILD_WEB}`
  : !existsSync(CLI) ? `no CLI at ${CLI}` : false;
const SHOTS = process.env.NPSKIT_SHOTS || '/tmp/shots/h4';

let server, browser, file;
before(async () => {
  if (skip) return;
  server = await startStaticServer();
  browser = await launchBrowser();
  const dir = mkdtempSync(join(tmpdir(), 'npskit-digest-e2e-'));
  file = join(dir, 'digest-data.ndjson');
  writeFileSync(file, execFileSync(CLI, ['generate', '--rows', '3000', '--months', '2', '--end', '2026-01-01', '--seed', '5'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function openWithFile(hash, viewport) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(`${server.url}/dashboard/index.html${hash ? '#' + hash : ''}`);
  await waitForState(page, () => true, { what: 'the wasm app to start' });
  await page.setInputFiles('#npskit-file', file);
  await waitForState(page, (s) => s.load.phase === 'done', { what: 'the file to load' });
  return { page, context };
}


test('Copy digest puts npskit digest\'s text on the clipboard', { skip }, async () => {
  const { page, context } = await openWithFile('', { width: 1280, height: 900 });
  try {
    const s = await state(page);
    assert.ok(s.ui.copy_digest, 'the button has a rect');
    await page.evaluate(() => { NpskitWeb.clipboard = ''; });
    await click(page, s.ui.copy_digest);
    await page.waitForFunction(() => NpskitWeb.clipboard !== '', null, { timeout: 5000 });
    const got = await page.evaluate(() => NpskitWeb.clipboard);
    // The open follow-up count is the page's own list (unit-dashboard_app checks it; a file holds
    // no statuses, so the CLI is told it): every scored figure must be the CLI's.
    const open = /\n(\d+) to follow up\n$/.exec(got);
    assert.ok(open && Number(open[1]) > 0, `the digest says the open follow-ups: ${got}`);
    const want = execFileSync(CLI, ['digest', file, '--follow-ups', open[1]], { encoding: 'utf8' });
    assert.match(want, /^\*NPS weekly digest\*: /);
    assert.equal(got, want);
    // The system clipboard too, where the browser allows it.
    const system = await page.evaluate(() => navigator.clipboard.readText().catch(() => null));
    if (system !== null) assert.equal(system, want);
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
  }
});

test('screenshots of the toolbar with Copy digest: light and dark, 390 and 1440 px', { skip }, async () => {
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [390, 1440]) {
    for (const dark of [false, true]) {
      const { page, context } = await openWithFile(dark ? 'theme=dark' : '', { width, height: 900 });
      try {
        const s = await state(page);
        const r = s.ui.copy_digest;
        assert.ok(r && r[0] >= 0 && r[0] + r[2] <= width + 0.5, `the button is on screen at ${width} px: ${JSON.stringify(r)}`);
        await page.mouse.move(r[0] + r[2] / 2, r[1] + r[3] / 2);  // its tooltip in the picture
        await page.waitForTimeout(400);
        await page.screenshot({ path: join(SHOTS, `toolbar-${width}-${dark ? 'dark' : 'light'}.png`),
          clip: { x: 0, y: 0, width, height: Math.min(900, r[1] + r[3] + 160) } });
      } finally {
        await context.close();
      }
    }
  }
});
