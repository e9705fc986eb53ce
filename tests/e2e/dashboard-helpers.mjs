// Shared by tests/e2e/dashboard*.test.mjs: a static server for the dashboard bundle and data
// files, Chromium through playwright-core, and small waits on window.npskitDashboard.state().
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const BUILD_WEB = resolve(ROOT, process.env.NPSKIT_BUILD_WEB || 'build-web');
export const BUILD_NATIVE = resolve(ROOT, process.env.NPSKIT_BUILD_NATIVE || 'build-native');
export const DASHBOARD_DIR = join(BUILD_WEB, 'dist', 'dashboard');
export const DATA_DIR = join(ROOT, 'examples', 'data');

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.json': 'application/json', '.ndjson': 'application/x-ndjson', '.csv': 'text/csv', '.png': 'image/png' };

// Serves /dashboard/* from the bundle, /data/* from examples/data, and `routes` (path → body);
// `pageHeaders` go on the dashboard's own files (a Content-Security-Policy, say).
export async function startStaticServer(routes = {}, pageHeaders = {}) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (routes[path] !== undefined) {
      const body = routes[path];
      res.writeHead(200, { 'content-type': body.type || 'application/octet-stream', 'access-control-allow-origin': '*' });
      res.end(body.data ?? body);
      return;
    }
    let file = null;
    if (path.startsWith('/dashboard/')) file = join(DASHBOARD_DIR, normalize(path.slice(11)) || 'index.html');
    else if (path.startsWith('/data/')) file = join(DATA_DIR, normalize(path.slice(6)));
    if (file && path.endsWith('/')) file = join(file, 'index.html');
    try {
      if (!file) throw new Error('not found');
      await stat(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream', 'access-control-allow-origin': '*',
        ...(path.startsWith('/dashboard/') ? pageHeaders : {}) });
      res.end(await readFile(file));
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, close: () => new Promise((ok) => server.close(ok)) };
}

export async function launchBrowser() {
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader'],
  });
}

export async function state(page) {
  return page.evaluate(() => window.npskitDashboard.state());
}

// Polls state() until `predicate(state)` is true; returns that state.
export async function waitForState(page, predicate, { timeout = 20000, what = 'dashboard state' } = {}) {
  const start = Date.now();
  let last = null;
  while (Date.now() - start < timeout) {
    last = await page.evaluate(() => (window.npskitDashboard ? window.npskitDashboard.state() : { ready: false }));
    if (last.ready && predicate(last)) return last;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`timed out waiting for ${what}; last state: ${JSON.stringify(last && { load: last.load, n: last.n, live: last.live, filters: last.filters, editor: last.editor && { message: last.editor.message, draft: last.editor.draft }, follow_up: last.follow_up && { message: last.follow_up.message, by: last.follow_up.by } })}`);
}

export async function waitForLoad(page, opts = {}) {
  return waitForState(page, (s) => s.load.phase === 'done' || s.load.phase === 'failed' || s.load.phase === 'mapping', { what: 'load to finish', ...opts });
}

// ImGui 1.86 samples buttons and keys once a drawn frame: a press released before the next frame
// is lost, and on a loaded machine a frame can take longer than any fixed wait. Input is held
// until the dashboard has drawn two more frames (at least `minMs`), then released the same way.
async function untilFramesDrawn(page, count, minMs = 60, timeout = 5000) {
  const start = Date.now();
  for (;;) {
    const n = await page.evaluate(() => (window.npskitDashboard ? window.npskitDashboard.framesDrawn() : 0));
    if (n >= count && Date.now() - start >= minMs) return n;
    if (Date.now() - start > timeout) return n;  // the caller's own wait on state says what went wrong
    await page.waitForTimeout(20);
  }
}
async function holdAcrossFrames(page, press, release) {
  const n0 = await page.evaluate(() => window.npskitDashboard.framesDrawn());
  await press();
  const n1 = await untilFramesDrawn(page, n0 + 2);
  await release();
  await untilFramesDrawn(page, n1 + 2);
}
// A click in the middle of `r` ([x, y, w, h] from state().ui), held across frames.
export async function click(page, r) {
  if (!r) throw new Error('no control to click (no rectangle in state().ui)');
  await page.mouse.move(r[0] + r[2] / 2, r[1] + r[3] / 2);
  await holdAcrossFrames(page, () => page.mouse.down(), () => page.mouse.up());
}
// A key or a chord ('Control+A', 'Backspace'), held across frames.
export async function press(page, chord) {
  const keys = chord.split('+');
  await holdAcrossFrames(page,
    async () => { for (const k of keys) await page.keyboard.down(k); },
    async () => { for (const k of keys.reverse()) await page.keyboard.up(k); });
}
// Characters go through ImGui's character queue (none is lost between frames); the next input
// waits until two frames have drawn them, or a click could land before the field took them.
async function typeText(page, text) {
  await page.keyboard.type(text, { delay: 15 });
  const n = await page.evaluate(() => window.npskitDashboard.framesDrawn());
  await untilFramesDrawn(page, n + 2, 100);
}
export async function typeInto(page, r, text) {
  await click(page, r);
  await typeText(page, text);
}
// Replaces a text field's content: click, select all, delete, type.
export async function retype(page, r, text) {
  await click(page, r);
  await press(page, 'Control+A');
  await press(page, 'Backspace');
  if (text) await typeText(page, text);
}
// The state once `name`'s rectangle has stayed put across two drawn frames (a scroll or a notice
// line can move controls for a few frames after a change): measure, then click.
export async function settledState(page, name, { timeout = 20000 } = {}) {
  const start = Date.now();
  let last = null;
  for (let i = 0; Date.now() - start < timeout; ++i) {
    await page.mouse.move(3 + (i % 2), 3);  // input keeps the dashboard drawing
    const n = await page.evaluate(() => window.npskitDashboard.framesDrawn());
    await untilFramesDrawn(page, n + 2);
    const s = await page.evaluate(() => window.npskitDashboard.state());
    const r = JSON.stringify(s.ui && s.ui[name]);
    if (s.ui && s.ui[name] && r === last) return s;
    last = r;
  }
  throw new Error(`${name} never stayed put (last ${last})`);
}
// The state after two frames drawn with the mouse parked in the corner: rectangles are those
// of the current layout (a notice line moves the rows below it).
export async function fresh(page) {
  await page.mouse.move(3, 3);
  const n = await page.evaluate(() => window.npskitDashboard.framesDrawn());
  await untilFramesDrawn(page, n + 2, 100);
  return page.evaluate(() => window.npskitDashboard.state());
}
