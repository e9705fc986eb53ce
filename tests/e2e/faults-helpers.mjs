// Shared by tests/e2e/faults*.test.mjs: seeded choices, answering the real prompt from a page,
// watching what the browser POSTs, waiting for a tab's queue to drain.
import assert from 'node:assert/strict';
import { hostPage } from './widget-helpers.mjs';

// Seeded choices for the test's own actions (what to answer, when to reload or close).
export { mulberry32 as rng } from '../tools/fault-proxy.mjs';

// Shows the prompt, chooses `score`, closes the follow-up: one answer (one new id).
export async function answerOnce(page, score) {
  const ok = await page.evaluate(async (s) => {
    const wait = async (f) => {
      for (let k = 0; k < 300; k++) { const v = f(); if (v) return v; await new Promise((r) => setTimeout(r, 10)); }
      return null;
    };
    window.npskit('show');
    const host = await wait(() => document.querySelector('npskit-prompt'));
    const radios = host && await wait(() => { const l = host.shadowRoot.querySelectorAll('[role=radio]'); return l.length === 11 ? l : null; });
    if (!radios) return false;
    radios[s].click();
    const close = await wait(() => host.shadowRoot.querySelector('textarea') && host.shadowRoot.querySelector('button.x'));
    if (close) close.click();
    await wait(() => !document.querySelector('npskit-prompt'));
    return true;
  }, score);
  assert.ok(ok, 'the prompt showed its 11 choices');
}

// Every POST body any page sent (fetch or beacon), as seen by the browser.
export function watchRequests(page, seen) {
  page.on('request', (req) => {
    if (req.method() !== 'POST' || !req.url().includes('/v1/responses')) return;
    try {
      const b = JSON.parse(req.postData() || '');
      if (b.type === 'response' || b.type === undefined) seen.set(b.id, b.score);
    } catch { /* not JSON: would fail the id comparison below */ }
  });
}

export async function openPage(context, url, seen, errors) {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  watchRequests(page, seen);
  await page.goto(url);
  await page.waitForFunction(() => window.npskit && window.npskit.loaded, null, { timeout: 20000 });
  return page;
}

export const queueOf = (page) => page.evaluate(() => localStorage.getItem('npskit:q') || '');

export async function drain(page, timeoutMs) {
  await page.waitForFunction(() => !localStorage.getItem('npskit:q'), null, { timeout: timeoutMs, polling: 200 });
}

export function histogram(scores) {
  const h = Array(11).fill(0);
  for (const s of scores) h[s]++;
  return h;
}

export function page(data) {
  return hostPage({ data: { displayEvents: 'false', retryBaseMs: '100', ...data } });
}

