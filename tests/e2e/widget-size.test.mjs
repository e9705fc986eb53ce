// Size budget: everything the browser downloads to show the prompt (the loader snippet, npskit.js,
// npskit.wasm; no CSS file: styles are inside the bundle), each gzip -9'd, must be <= 16 KB.
// Also prints page load -> 11 buttons on screen (median of 5 cold loads) for BENCHMARKS.md;
// timing is reported, never asserted.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { hostPage, setup } from './widget-helpers.mjs';

const BUDGET = 16384;
const SNIPPET = '<script>window.npskit=window.npskit||function(){(npskit.q=npskit.q||[]).push(arguments)};</script>';

let s;
before(async () => {
  s = await setup();
  s.ep.setPage('/size', { body: hostPage({ calls: "npskit('show')" }) });
});
after(async () => {
  await s?.close();
});

// Measured once per run: the same figure for the budget test and the report below.
let measured;
async function measure() {
  if (measured) return measured;
  const page = await s.newPage();
  const downloads = [];
  page.on('response', async (r) => {
    const req = r.request();
    if (req.method() !== 'GET' || req.resourceType() === 'document' || r.url().endsWith('favicon.ico')) return;
    downloads.push(r.body().then((b) => ({ url: new URL(r.url()).pathname, raw: b.length, gz: gzipSync(b, { level: 9 }).length })));
  });
  await page.goto(s.ep.origin + '/size');
  await page.locator('npskit-prompt [role=radio]').nth(10).waitFor();
  const files = await Promise.all(downloads);
  const snippet = gzipSync(Buffer.from(SNIPPET), { level: 9 }).length;
  const total = files.reduce((n, f) => n + f.gz, snippet);
  const table = files.map((f) => `${f.url}: ${f.raw} B raw, ${f.gz} B gzip -9`).join('; ');
  console.log(`# prompt size: ${total} B gzip -9 (${table}; snippet ${snippet} B)`);
  measured = { files, total, table };
  return measured;
}

test(`the prompt costs <= ${BUDGET} bytes gzip -9, everything included, and downloads nothing else`, async () => {
  const { files, total, table } = await measure();
  assert.deepEqual(files.map((f) => f.url).sort(), ['/npskit.js', '/npskit.wasm'], 'nothing else is downloaded');
  assert.ok(total <= BUDGET, `${total} B gzip -9 > ${BUDGET} B budget (${table})`);
});

test('page load to the buttons on screen (reported, not asserted)', async () => {
  const times = [], longTasks = [];
  for (let k = 0; k < 5; k++) {
    const page = await s.newPage();  // a new context each time: cold
    await page.addInitScript(() => {
      window.__npskitLongTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__npskitLongTasks.push(Math.round(e.duration));
      }).observe({ type: 'longtask', buffered: true });
      const poll = () => {
        const host = document.querySelector('npskit-prompt');
        const n = host && host.shadowRoot.querySelectorAll('[role=radio]').length;
        if (n === 11) window.__npskitShownAt = performance.now();
        else requestAnimationFrame(poll);
      };
      requestAnimationFrame(poll);
    });
    await page.goto(s.ep.origin + '/size');
    await page.waitForFunction(() => window.__npskitShownAt);
    times.push(await page.evaluate(() => window.__npskitShownAt));
    longTasks.push(Math.max(0, ...(await page.evaluate(() => window.__npskitLongTasks))));
    await page.context().close();
  }
  times.sort((a, b) => a - b);
  console.log(`# page load -> 11 buttons on screen: median ${times[2].toFixed(0)} ms (all: ${times.map((t) => t.toFixed(0)).join(', ')}); longest task per load: ${longTasks.join(', ')} ms`);
  assert.equal(times.length, 5);
});
