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
  throw new Error(`timed out waiting for ${what}; last state: ${JSON.stringify(last && { load: last.load, n: last.n, live: last.live, filters: last.filters })}`);
}

export async function waitForLoad(page, opts = {}) {
  return waitForState(page, (s) => s.load.phase === 'done' || s.load.phase === 'failed' || s.load.phase === 'mapping', { what: 'load to finish', ...opts });
}
