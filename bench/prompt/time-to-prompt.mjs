// Time to prompt: page load → the 11 score choices on screen, in headless Chromium (Debian's),
// page and endpoint on 127.0.0.1, cold (fresh browser context) and warm (reload, HTTP cache),
// npskit beside PostHog's survey rendered from its npm files with its API mocked locally.
// Also the main-thread long tasks (> 50 ms) during load.
//   node bench/prompt/time-to-prompt.mjs [--runs 7]
import http from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { root, machine, stats, writeSection, chromiumArgs } from '../lib/report.mjs';

const args = process.argv.slice(2);
const runs = Number(args.includes('--runs') ? args[args.indexOf('--runs') + 1] : 7);
const dist = path.resolve(root, process.env.NPSKIT_BUILD_WEB || 'build-web', 'dist');
const posthogDist = path.join(root, 'bench/peers/node_modules/posthog-js/dist');

const NPS_QUESTION = 'How likely are you to recommend Acme to a friend or colleague?';
const posthogSurvey = {
  id: '0190a5d4-0000-0000-0000-000000000001', name: 'NPS', type: 'popover', description: '',
  questions: [{ id: 'q1', type: 'rating', display: 'number', scale: 10, question: NPS_QUESTION,
    lowerBoundLabel: 'Not at all likely', upperBoundLabel: 'Extremely likely' }],
  conditions: null, appearance: null, start_date: '2024-01-01T00:00:00Z', end_date: null,
  current_iteration: null, current_iteration_start_date: null, schedule: 'always',
};

const pages = {
  '/npskit.html': `<!doctype html><html><head><meta charset="utf-8"><title>npskit</title></head><body>
<h1>Acme</h1><script>window.npskit=window.npskit||function(){(npskit.q=npskit.q||[]).push(arguments)};npskit('show');</script>
<script src="/npskit.js" data-endpoint="/collect" data-survey="product-nps" data-product="Acme" async></script></body></html>`,
  '/posthog.html': `<!doctype html><html><head><meta charset="utf-8"><title>posthog</title></head><body>
<h1>Acme</h1><script src="/posthog/array.js"></script>
<script>posthog.init('phc_bench', { api_host: location.origin, persistence: 'memory', autocapture: false,
  capture_pageview: false, disable_session_recording: true, advanced_disable_feature_flags: false });</script></body></html>`,
};

function serve() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const send = (code, type, body, cache = true) => {
      res.writeHead(code, { 'content-type': type, 'cache-control': cache ? 'max-age=3600' : 'no-store',
        'access-control-allow-origin': '*' });
      res.end(body);
    };
    if (pages[url.pathname]) return send(200, 'text/html', pages[url.pathname], false);
    if (url.pathname === '/npskit.js' || url.pathname === '/npskit.wasm') {
      const file = path.join(dist, url.pathname.slice(1));
      if (!existsSync(file)) return send(404, 'text/plain', 'build first');
      return send(200, url.pathname.endsWith('.wasm') ? 'application/wasm' : 'text/javascript', readFileSync(file));
    }
    if (url.pathname === '/collect') return send(202, 'application/json', '{}', false);
    // PostHog's API, mocked: remote config and flags enable surveys; the surveys script is the npm file.
    if (url.pathname.startsWith('/posthog/')) return send(200, 'text/javascript', readFileSync(path.join(posthogDist, url.pathname.slice(9))));
    if (url.pathname.startsWith('/static/') && url.pathname.endsWith('.js')) {
      const name = path.basename(url.pathname);
      const file = path.join(posthogDist, name);
      return existsSync(file) ? send(200, 'text/javascript', readFileSync(file)) : send(404, 'text/plain', 'no');
    }
    if (url.pathname.startsWith('/array/') && url.pathname.endsWith('/config.js')) {
      return send(200, 'text/javascript', `(window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{})['phc_bench']={config:{token:'phc_bench',surveys:true,supportedCompression:[],sessionRecording:false},siteApps:[]}`, false);
    }
    if (url.pathname.startsWith('/array/') && url.pathname.endsWith('/config')) {
      return send(200, 'application/json', JSON.stringify({ token: 'phc_bench', surveys: true, supportedCompression: [], sessionRecording: false }), false);
    }
    if (url.pathname.startsWith('/flags') || url.pathname.startsWith('/decide')) {
      return send(200, 'application/json', JSON.stringify({ flags: {}, featureFlags: {}, surveys: true, errorsWhileComputingFlags: false }), false);
    }
    if (url.pathname.startsWith('/api/surveys')) return send(200, 'application/json', JSON.stringify({ surveys: [posthogSurvey] }), false);
    return send(200, 'application/json', '{"status":1}', false);  // capture endpoints
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// Runs in the page before any script: watches every frame for 11 score choices, in the light
// DOM or any open shadow root, and records long tasks.
const watcher = () => {
  window.__longTasks = [];
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
      .observe({ type: 'longtask', buffered: true });
  } catch {}
  const count = (rootNode) => {
    let n = 0;
    const choices = rootNode.querySelectorAll('[role="radio"], .ratings-number, button');
    const labels = new Set();
    for (const el of choices) {
      const t = (el.textContent || '').trim();
      if (/^(10|[0-9])$/.test(t) && el.getBoundingClientRect().width > 0) labels.add(t);
    }
    n = labels.size;
    for (const el of rootNode.querySelectorAll('*')) if (el.shadowRoot) n = Math.max(n, count(el.shadowRoot));
    return n;
  };
  const tick = () => {
    if (document.body && count(document) >= 11) { window.__promptAt = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
};

async function measure(browser, base, page, warm) {
  const context = await browser.newContext();
  await context.route((url) => !url.href.startsWith(base), (route) => route.abort());  // other hosts blocked
  const tab = await context.newPage();
  await tab.addInitScript(watcher);
  const samples = [], longTasks = [];
  for (let i = 0; i < runs + (warm ? 1 : 0); i++) {
    await tab.goto(base + page, { waitUntil: 'load' });
    const at = await tab.waitForFunction(() => window.__promptAt, null, { timeout: 15000 }).then((h) => h.jsonValue());
    const lt = await tab.evaluate(() => window.__longTasks.reduce((a, b) => a + b, 0));
    if (warm && i === 0) continue;  // the first load fills the cache
    samples.push(at);
    longTasks.push(lt);
    if (!warm) {  // cold: a fresh context (empty cache) for each run
      await context.close();
      return { at, lt };
    }
  }
  await context.close();
  return { samples, longTasks };
}

const { chromium } = await import('playwright-core');
const server = await serve();
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
const results = { machine: machine(), runs, variants: {} };
try {
  for (const [name, page] of [['npskit', '/npskit.html'], ['PostHog surveys', '/posthog.html']]) {
    if (name.startsWith('PostHog') && !existsSync(posthogDist)) continue;
    const cold = [], coldLong = [];
    for (let i = 0; i < runs; i++) {
      const r = await measure(browser, base, page, false);
      cold.push(r.at);
      coldLong.push(r.lt);
    }
    const warm = await measure(browser, base, page, true);
    results.variants[name] = { cold: stats(cold), warm: stats(warm.samples), long_tasks_ms: stats([...coldLong, ...warm.longTasks]) };
    console.error(name, JSON.stringify(results.variants[name]));
  }
} finally {
  await browser.close();
  server.close();
}

const f = (x) => x.toFixed(0);
const v = results.variants;
let md = `## Time to prompt

\`npm run bench -- time\` (or \`node bench/prompt/time-to-prompt.mjs --runs ${runs}\`): headless ${results.machine.chromium},
page and endpoint on 127.0.0.1 (other hosts blocked), navigation start → 11 score choices on
screen (checked every animation frame), ${runs} cold runs (fresh context, empty cache) and ${runs} warm
runs (reload, HTTP cache). PostHog ${'posthog-js 1.449.2'} renders its survey from its npm files with its API mocked.
ms: median (min–max).

| widget | cold | warm | long tasks during load (ms, median) |
|---|---:|---:|---:|
`;
for (const [name, r] of Object.entries(v))
  md += `| ${name} | ${f(r.cold.median)} (${f(r.cold.min)}–${f(r.cold.max)}) | ${f(r.warm.median)} (${f(r.warm.min)}–${f(r.warm.max)}) | ${f(r.long_tasks_ms.median)} |\n`;
if (v.npskit && v['PostHog surveys']) {
  const ratio = v['PostHog surveys'].cold.median / v.npskit.cold.median;
  results.cold_ratio = ratio;
  md += `\nGoal: ≥ 5× faster than PostHog's in the same run: ${ratio.toFixed(1)}× cold, ` +
        `${(v['PostHog surveys'].warm.median / v.npskit.warm.median).toFixed(1)}× warm (${ratio >= 5 ? 'met' : 'missed'}). ` +
        `Aim ≤ 100 ms cold for npskit: ${v.npskit.cold.median <= 100 ? 'met' : 'missed'}.\n`;
}
writeSection('time', md, results);
console.log(md);
