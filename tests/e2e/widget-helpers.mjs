// Shared by tests/e2e/widget*.test.mjs: paths to the built bundle, Chromium through
// playwright-core, a host page builder, and validation of POST bodies with the native CLI
// (`npskit validate -`, which runs the core's parse_response on every record).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { startTestEndpoint } from '../tools/test-endpoint.mjs';

const require = createRequire(import.meta.url);
export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const BUILD_WEB = resolve(ROOT, process.env.NPSKIT_BUILD_WEB || 'build-web');
export const BUILD_NATIVE = resolve(ROOT, process.env.NPSKIT_BUILD_NATIVE || 'build-native');
export const DIST = join(BUILD_WEB, 'dist');
export const SHOTS = join(BUILD_WEB, 'screenshots', 'widget');
export const CLI = join(BUILD_NATIVE, 'npskit');

export function requireBundle() {
  for (const f of ['npskit.js', 'npskit.wasm'])
    if (!existsSync(join(DIST, f))) throw new Error(`${join(DIST, f)} is missing: build the web target first`);
}

export async function launch() {
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader'],
  });
}

// A host page: the loader snippet, the script tag with data-* attributes, optional extra head/body.
export function hostPage({ data = {}, head = '', body = '', snippet = true, calls = '' } = {}) {
  const attrs = Object.entries({ endpoint: '/v1/responses', survey: 'product-nps', product: 'Acme', ...data })
    .map(([k, v]) => ` data-${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}="${String(v).replace(/"/g, '&quot;')}"`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>npskit host</title>${head}
${snippet ? '<script>window.npskit=window.npskit||function(){(npskit.q=npskit.q||[]).push(arguments)};</script>' : ''}
<script src="/npskit.js"${attrs} async></script>
${calls ? `<script>${calls}</script>` : ''}
</head><body><main><h1>Host app</h1><p>Some content.</p><label>Notes <input id="notes"></label>
<button id="b1" onclick="npskit('track','trial_ended',{plan:'pro'})">End trial</button></main>${body}</body></html>`;
}

// An endpoint + static server for the bundle + pages. Returns { ep, browser, newPage, close }.
export async function setup({ pages = {}, failFirst = 0 } = {}) {
  requireBundle();
  const ep = await startTestEndpoint({ failFirst, roots: { '/': DIST, '/examples/': join(ROOT, 'examples') }, pages });
  const browser = await launch();
  mkdirSync(SHOTS, { recursive: true });
  const contexts = [];
  return {
    ep,
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
      contexts.push(context);
      const page = await context.newPage();
      page.errors = [];
      page.on('pageerror', (e) => page.errors.push(String(e)));
      page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
      return page;
    },
    async close() {
      await browser.close();
      await ep.close();
    },
  };
}

// The prompt's shadow root elements, through Playwright's shadow-piercing CSS engine.
export const scaleButton = (page, n) => page.locator('npskit-prompt [role=radio]').nth(n);
export const promptCard = (page) => page.locator('npskit-prompt .w');

// Runs `npskit validate -` on the bodies as NDJSON: { valid, invalid, output }.
export function validateBodies(bodies) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the native target (NPSKIT_BUILD_NATIVE)`);
  const input = bodies.map((b) => (typeof b === 'string' ? b : JSON.stringify(b))).join('\n') + '\n';
  const r = spawnSync(CLI, ['validate', '-'], { input, encoding: 'utf8' });
  const last = (r.stdout || '').trim().split('\n').pop();
  let summary = {};
  try { summary = JSON.parse(last); } catch { /* reported below */ }
  return { valid: summary.valid, invalid: summary.invalid, status: r.status, output: r.stdout + r.stderr };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
