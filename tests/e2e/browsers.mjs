// Firefox for the e2e tests (tests/e2e/*firefox*.test.mjs): Debian's firefox-esr driven by npm
// puppeteer-core over WebDriver BiDi. Not Playwright: its Firefox is a patched build it downloads
// (Juggler protocol) and it cannot drive a stock Firefox; puppeteer-core speaks the standard BiDi
// that Firefox ships. Headless Firefox has no WebGL2 here; with `display: true` the browser runs
// headful on a private Xvfb server (Debian's xvfb + libgl1-mesa-dri: Mesa's llvmpipe gives WebGL2).
// BiDi has no request.postData(): POST bodies are read on the server (tests/tools/test-endpoint.mjs).
// waitForFunction is avoided: puppeteer's own defineProperty breaks on pages that pollute
// Object.prototype; `waitUntil` polls with evaluate instead.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const FIREFOX = process.env.NPSKIT_FIREFOX || '/usr/bin/firefox-esr';

// Why Firefox tests cannot run here (a skip reason), or false.
export function firefoxMissing({ display = false } = {}) {
  if (!existsSync(FIREFOX)) return `no Firefox at ${FIREFOX} (scripts/setup installs firefox-esr)`;
  try { require.resolve('puppeteer-core'); } catch { return 'npm puppeteer-core is not installed (npm ci)'; }
  if (display && !existsSync('/usr/bin/Xvfb')) return 'no Xvfb (scripts/setup installs xvfb)';
  return false;
}

// A private X display: Xvfb picks a free number and writes it to fd 3.
async function startXvfb() {
  const x = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1600x1200x24', '-nolisten', 'tcp'],
                  { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const display = await new Promise((ok, fail) => {
    let out = '';
    const t = setTimeout(() => fail(new Error('Xvfb did not start in 10 s')), 10000);
    x.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) { clearTimeout(t); ok(':' + out.trim()); }
    });
    x.on('exit', (code) => { clearTimeout(t); fail(new Error(`Xvfb exited (${code})`)); });
  });
  return { display, stop: () => x.kill() };
}

// Starts Firefox. Returns { browser, newPage(options), close() }; each page has its own browser
// context (own storage), a 1280x800 viewport unless told, and `errors` (page errors, console errors).
export async function launchFirefox({ display = false } = {}) {
  const puppeteer = require('puppeteer-core');
  const xvfb = display ? await startXvfb() : null;
  const browser = await puppeteer.launch({
    browser: 'firefox', protocol: 'webDriverBiDi', executablePath: FIREFOX, headless: !display,
    env: { ...process.env, ...(xvfb ? { DISPLAY: xvfb.display } : {}) },
    // Same-origin test servers on 127.0.0.1; no first-run pages or telemetry in the way.
    extraPrefsFirefox: { 'browser.shell.checkDefaultBrowser': false, 'datareporting.policy.dataSubmissionEnabled': false,
                         'toolkit.telemetry.reportingpolicy.firstRun': false },
  });
  const contexts = [];
  return {
    browser,
    display: xvfb?.display,
    async newPage({ width = 1280, height = 800 } = {}) {
      const context = await browser.createBrowserContext();
      contexts.push(context);
      const page = await context.newPage();
      await page.setViewport({ width, height, deviceScaleFactor: 1 });
      page.errors = [];
      page.on('pageerror', (e) => page.errors.push(String(e.message || e)));
      page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
      return page;
    },
    async close() {
      await browser.close().catch(() => {});
      xvfb?.stop();
    },
  };
}

// Polls fn(arg) in the page until it returns something truthy; returns it.
export async function waitUntil(page, fn, arg, { timeout = 15000, what = 'a condition in the page' } = {}) {
  const start = Date.now();
  for (;;) {
    const v = await page.evaluate(fn, arg).catch(() => null);  // a navigation in between: try again
    if (v) return v;
    if (Date.now() - start > timeout) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

// The prompt's shadow-root elements (puppeteer's >>> combinator pierces open shadow roots).
export async function inPrompt(page, selector, n = 0) {
  const all = await page.$$(`npskit-prompt >>> ${selector}`);
  return all[n] || null;
}
// Waits for the n-th match of `selector` inside the prompt and returns it.
export async function waitInPrompt(page, selector, n = 0, timeout = 15000) {
  await waitUntil(page, ([s, i]) => {
    const root = document.querySelector('npskit-prompt')?.shadowRoot;
    return !!(root && root.querySelectorAll(s)[i]);
  }, [selector, n], { timeout, what: `${selector} #${n} in the prompt` });
  return inPrompt(page, selector, n);
}
