// The real dashboard in headless Chromium following a real collector's live stream through a
// proxy that cuts the stream (between events, mid-event, right after the greeting) while answers
// and their comment updates are being posted; then the collector SIGKILLed and started again on
// the same database. After recovery the dashboard's n and histogram equal the stored rows, every
// event reached it exactly once (no gap, no double count), each reconnect resumed from the last
// event id it had, and its live state went off and back on (with backoff while the collector
// was gone).
// Needs: $NPSKIT_BUILD_WEB/dist/dashboard and $NPSKIT_BUILD_NATIVE/npskit-collector.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARD_DIR, launchBrowser, waitForLoad, waitForState } from './dashboard-helpers.mjs';
import { collectorBinary, startCollector, tempDir, removeDir, readAll, READ_KEY } from '../integration/collector-harness.mjs';

const skip = !existsSync(join(DASHBOARD_DIR, 'dashboard.wasm')) ? `no dashboard bundle in ${DASHBOARD_DIR}`
  : !existsSync(collectorBinary) ? `no collector at ${collectorBinary}` : false;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A streaming proxy in front of the collector (tests/tools/fault-proxy.mjs buffers whole
// bodies, so it cannot carry SSE). Every request goes to `proxy.upstream` (changeable: the
// collector restarts on another port); a dead upstream is a 502. /v1/stream responses are
// split into events here; `cuts` (one per stream connection, in order) end a connection:
//   {after: k, mid: false}  after forwarding k events (k = 0: right after the greeting)
//   {after: k, mid: true}   after k events plus the first half of the next one's bytes
// The log records each stream request (its `since` / Last-Event-ID) and the ids of the events
// forwarded whole on each connection.
async function startStreamProxy(upstream, cuts = []) {
  const proxy = { upstream, streams: [], events: [], cuts: 0, sockets: new Set() };
  const server = http.createServer((req, res) => {
    const target = proxy.upstream && new URL(proxy.upstream);
    const isStream = req.url.startsWith('/v1/stream');
    // The resume cursor: the page sends it as Last-Event-ID (?since= is accepted too).
    const conn = isStream ? { t: Date.now(), url: req.url,
      since: new URL(req.url, 'http://x').searchParams.get('since') ?? req.headers['last-event-id'] ?? null,
      lastEventId: req.headers['last-event-id'] ?? null, status: 0, ids: [], cut: null } : null;
    if (conn) proxy.streams.push(conn);
    if (!target) {  // the collector is down
      if (conn) conn.status = 502;
      res.writeHead(502, { 'content-type': 'text/plain' });
      return res.end('upstream down');
    }
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url,
      headers: { ...req.headers, host: target.host } });
    const cutBoth = () => { up.destroy(); res.destroy(); };
    up.on('error', () => {
      if (conn && !conn.status) conn.status = 502;
      if (res.headersSent) return res.destroy();
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('upstream down');
    });
    up.on('response', (ur) => {
      if (conn) conn.status = ur.statusCode;
      if (!conn || ur.statusCode !== 200) {
        res.writeHead(ur.statusCode, ur.headers);
        ur.pipe(res);
        ur.on('error', () => res.destroy());
        ur.on('aborted', () => res.destroy());
        return;
      }
      const headers = { ...ur.headers };
      delete headers['transfer-encoding'];
      delete headers['content-length'];
      res.writeHead(200, headers);
      const plan = cuts[proxy.streams.filter((c) => c.status === 200).length - 1] ?? null;
      let buf = Buffer.alloc(0), forwarded = 0, ended = false;
      const cut = (how) => {
        ended = true;
        conn.cut = how;
        proxy.cuts++;
        setTimeout(cutBoth, 50);  // let the bytes written so far reach the browser first
      };
      ur.on('data', (chunk) => {
        if (ended) return;
        buf = Buffer.concat([buf, chunk]);
        let sep;
        while (!ended && (sep = buf.indexOf('\n\n')) >= 0) {
          const block = buf.subarray(0, sep + 2);
          buf = buf.subarray(sep + 2);
          const text = block.toString('utf8');
          const idLine = /^id: (\d+)$/m.exec(text);
          const isEvent = /^data:/m.test(text);
          if (isEvent && plan && plan.mid && forwarded === plan.after) {
            res.write(block.subarray(0, Math.max(1, block.length >> 1)));
            cut('mid-event');
            break;
          }
          res.write(block);
          if (isEvent) {
            forwarded++;
            conn.ids.push(idLine ? Number(idLine[1]) : null);
            proxy.events.push(JSON.parse(/^data: (.*)$/m.exec(text)[1]));
          }
          if (plan && !plan.mid && forwarded === plan.after) cut(forwarded ? 'between events' : 'after the greeting');
        }
      });
      ur.on('end', () => { if (!ended) res.end(); });
      // The collector died: end the browser's connection too (after the bytes already written).
      const gone = () => { if (!ended) { ended = true; setTimeout(() => res.destroy(), 50); } };
      ur.on('error', gone);
      ur.on('aborted', gone);
      res.on('close', () => up.destroy());
    });
    req.pipe(up);
  });
  server.on('connection', (s) => { proxy.sockets.add(s); s.on('close', () => proxy.sockets.delete(s)); });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxy.close = () => new Promise((ok) => { for (const s of proxy.sockets) s.destroy(); server.close(ok); });
  return proxy;
}

// Posts answers straight to the collector (not through the proxy) from `lanes` loops; every
// fourth answer is followed by its comment (an update of the same id, a new stream event).
// Retries a record until it is acknowledged, so every answer is stored once in the end.
function startWriter(getBase, { answers, lanes = 3, prefix }) {
  const acked = new Map();  // id → the record last acknowledged
  let next = 0, writes = 0, failures = 0;
  const send = async (record) => {
    for (;;) {
      try {
        const res = await fetch(`${getBase()}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify(record) });
        const text = await res.text();
        if (res.status === 202) { writes++; acked.set(record.id, record); return; }
        if (res.status >= 400 && res.status < 500) throw Object.assign(new Error(`${res.status} ${text}`), { refused: true });
      } catch (e) {
        if (e.refused) throw e;  // a bug in this test, not a fault: fail instead of retrying forever
      }
      failures++;
      await sleep(100);
    }
  };
  const lane = async () => {
    while (next < answers) {
      const i = next++;
      const record = { v: 1, id: `${prefix}-${String(i).padStart(6, '0')}`, type: 'response', survey: 'product-nps', score: (i * 7) % 11,
        ts: new Date().toISOString(), attributes: { plan: i % 2 ? 'pro' : 'free' } };
      await send(record);
      if (i % 4 === 3) await send({ ...record, comment: `commentaire ${i} é` });
    }
  };
  const done = Promise.all(Array.from({ length: lanes }, lane));
  return { acked, done, get writes() { return writes; }, get failures() { return failures; } };
}

// The collector's stored responses: n and the 0–10 histogram (display events excluded).
async function storedFigures(base) {
  const { items } = await readAll(base, READ_KEY, { limit: 5000 });
  const histogram = Array(11).fill(0);
  let n = 0;
  for (const r of items) {
    if ((r.type ?? 'response') !== 'response') continue;
    histogram[r.score]++;
    n++;
  }
  return { n, histogram, rows: items.length };
}

// Opens the dashboard through the proxy with the page instrumented: every value assigned to
// the live state (0 off, 1 connecting, 2 live, 3 reconnecting), and each stream the page
// opens with the complete events it carried to the page (id and data). The page's view
// is the one that counts: bytes the proxy wrote just before a cut may never be dispatched.
async function openDashboard(browser, proxy) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource|net::ERR/.test(m.text())) errors.push(m.text()); });
  await page.addInitScript(() => {
    // The page reads /v1/stream with fetch: each stream response is teed here and its complete
    // events (ended by a blank line, as the page's reader dispatches them) are recorded.
    window.__sources = [];
    const nativeFetch = window.fetch;
    window.fetch = async function (input, init) {
      const url = String(input instanceof Request ? input.url : input);
      const res = await nativeFetch.call(this, input, init);
      if (!url.includes('/v1/stream') || !res.body) return res;
      const headers = new Headers(init && init.headers);
      const entry = { since: Number(headers.get('Last-Event-ID') || new URL(url, location.href).searchParams.get('since') || 0),
        ids: [], data: [] };
      window.__sources.push(entry);
      const [page, mine] = res.body.tee();
      (async () => {
        const reader = mine.getReader(), decoder = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ done: true }));
          if (done) break;
          buf += decoder.decode(value, { stream: true });
          for (let end; (end = buf.indexOf('\n\n')) >= 0; buf = buf.slice(end + 2)) {
            const block = buf.slice(0, end), id = /^id: (.*)$/m.exec(block), data = /^data: (.*)$/m.exec(block);
            if (id && data) { entry.ids.push(Number(id[1])); entry.data.push(data[1]); }
          }
        }
      })();
      return new Response(page, { status: res.status, statusText: res.statusText, headers: res.headers });
    };
  });
  await page.goto(`${proxy.url}/index.html`);
  await waitForState(page, () => true, { what: 'the wasm app to start' });
  await page.evaluate(() => {
    const L = NpskitWeb.live;
    let value = L.state;
    window.__live = [value];
    Object.defineProperty(L, 'state', { get: () => value, set: (v) => { if (v !== value) window.__live.push(v); value = v; } });
  });
  await page.evaluate((key) => { location.hash = 'key=' + key; }, READ_KEY);
  page.errors = errors;
  return page;
}

const pageSources = (page) => page.evaluate(() => window.__sources);

// What each stream connection carried, for failure messages and diagnostics.
const summary = (proxy, sources) => proxy.streams.map((c, i) => `${c.status} since=${c.since ?? c.lastEventId}: `
  + `${c.ids.length} events sent` + (c.ids.length ? ` ${c.ids[0]}..${c.ids.at(-1)}` : '')
  + (sources?.[i] ? `, ${sources[i].ids.length} received` : '') + (c.cut ? ` (cut ${c.cut})` : '')).join(' | ');

const STATE_NAMES = ['off', 'connecting', 'live', 'reconnecting'];
const liveHistory = async (page) => (await page.evaluate(() => window.__live)).map((v) => STATE_NAMES[v]);

// Polls until `ready()` (a sync or async predicate) holds.
async function until(ready, { timeout = 30000, what }) {
  const start = Date.now();
  while (Date.now() - start < timeout) {
    if (await ready()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${typeof what === 'function' ? await what() : what}`);
}

// Each stream after the first resumes from the last event the page received on the one
// before (or from where that one resumed, when it received none); no id arrives twice.
// Returns every event the page received, in order.
function assertResumedExactly(sources, firstSince, label) {
  let expected = firstSince;
  const all = [];
  for (const [i, s] of sources.entries()) {
    assert.equal(s.since, expected, `${label}: stream ${i} resumes from ${expected}`);
    if (s.ids.length) expected = s.ids.at(-1);
    s.ids.forEach((id, k) => all.push({ id, record: JSON.parse(s.data[k]) }));
  }
  for (let i = 1; i < all.length; i++) assert.ok(all[i].id > all[i - 1].id, `${label}: event ${all[i].id} after ${all[i - 1].id} (no event twice)`);
  return all;
}

// Caught up: the page received the last stored row, the dashboard took every event the page
// received, and it is live. Then a short quiet wait: nothing more may arrive.
async function waitCaughtUp(page, proxy, lastCursor) {
  let sources = [], s = null;
  await until(async () => {
    sources = await pageSources(page);
    const received = sources.reduce((k, x) => k + x.ids.length, 0);
    s = await waitForState(page, () => true);
    return sources.flatMap((x) => x.ids).at(-1) === lastCursor && s.live.events === received && s.live.state === 'live';
  }, { timeout: 40000, what: async () => `the stream up to cursor ${lastCursor}: ${summary(proxy, sources)}; `
    + `live ${await liveHistory(page)}; the dashboard took ${s?.live.events}` });
  await sleep(300);
  return waitForState(page, () => true);
}

// No gap: the last event the page received for each id is that row as stored now.
function assertNoGap(all, changed, label) {
  const latest = new Map(all.map((e) => [e.record.id, e.record]));
  assert.equal(latest.size, changed.length, `${label}: every row changed since the initial load arrived`);
  for (const r of changed) assert.deepEqual(latest.get(r.id), r, `${label}: row ${r.id} as stored`);
}

let browser;
const cleanups = [];
before(async () => { if (!skip) browser = await launchBrowser(); });
after(async () => {
  for (const c of cleanups.reverse()) await c();
  await browser?.close();
});

test('the stream is cut 6 times (mid-event too) while answers are posted: no gap, no double count', { skip }, async (t) => {
  const dir = tempDir('npskit-dashfaults-');
  let collector = await startCollector({ db: join(dir, 'cuts.db'), args: ['--rate', '0', '--seed-demo', '300', '--web', DASHBOARD_DIR] });
  cleanups.push(async () => { await collector.stop(); removeDir(dir); });
  const cuts = [{ after: 4, mid: true }, { after: 7, mid: false }, { after: 0, mid: false }, { after: 6, mid: true },
    { after: 0, mid: true }, { after: 11, mid: true }];
  const proxy = await startStreamProxy(collector.base, cuts);
  cleanups.push(() => proxy.close());
  const page = await openDashboard(browser, proxy);
  let s = await waitForLoad(page);
  assert.equal(s.load.phase, 'done', s.load.error);
  const initial = await storedFigures(collector.base);
  assert.equal(s.n, initial.n);
  s = await waitForState(page, (x) => x.live.state === 'live', { what: 'the live stream' });
  const firstSince = Number(proxy.streams[0].since);

  const writer = startWriter(() => collector.base, { answers: 160, prefix: 'cut' });
  await writer.done;
  const stored = await storedFigures(collector.base);
  assert.equal(stored.n, initial.n + 160);
  const { items: changed, cursor: lastCursor } = await readAll(collector.base, READ_KEY, { since: firstSince });
  s = await waitCaughtUp(page, proxy, lastCursor);
  const sources = await pageSources(page);

  const all = assertResumedExactly(sources, firstSince, 'cuts');
  const sent = proxy.streams.reduce((k, c) => k + c.ids.length, 0);
  t.diagnostic(summary(proxy, sources));
  t.diagnostic(`${writer.writes} writes (160 answers + ${writer.writes - 160} comment updates) → ${all.length} events received `
    + `(an update stored before the stream read its row replaces it); ${sent - all.length} sent just before a cut never reached the page and came again`);
  assert.equal(proxy.cuts, cuts.length, 'every planned cut happened while the answers were posted');
  assert.deepEqual(proxy.streams.map((c) => c.cut).filter(Boolean).sort(),
    ['after the greeting', 'between events', 'mid-event', 'mid-event', 'mid-event', 'mid-event']);
  assert.equal(sources.length, proxy.streams.length, 'one proxied request per stream the page opened');
  proxy.streams.forEach((c, i) => assert.equal(Number(c.since), sources[i].since, `request ${i} carried the page's cursor`));
  assertNoGap(all, changed, 'cuts');
  assert.equal(s.live.events, all.length, 'the dashboard took each event once');
  assert.equal(s.live.rejected, 0);
  assert.equal(s.n, stored.n, 'n = stored responses');
  assert.deepEqual(s.histogram, stored.histogram, 'histogram = stored responses');
  // The comments sent as updates are on their rows (an update replaced, never added).
  const withComment = [...writer.acked.values()].filter((r) => r.comment);
  assert.equal(withComment.length, 40);
  const shown = new Set(s.comments.map((c) => c.comment));
  for (const r of withComment) assert.ok(shown.has(r.comment), `comment "${r.comment}" shown`);
  // Live went off and back on once per cut; each request carried the resume cursor.
  const history = await liveHistory(page);
  assert.equal(history.filter((v) => v === 'reconnecting').length, cuts.length, history.join(' → '));
  assert.equal(history.at(-1), 'live');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the collector is SIGKILLed while answers are posted and restarted on the same database: backoff, then catch-up', { skip }, async (t) => {
  const dir = tempDir('npskit-dashfaults-');
  const db = join(dir, 'restart.db');
  const args = ['--rate', '0', '--web', DASHBOARD_DIR];
  let collector = await startCollector({ db, args: [...args, '--seed-demo', '200'] });
  cleanups.push(async () => { await collector.stop(); removeDir(dir); });
  const proxy = await startStreamProxy(collector.base);
  cleanups.push(() => proxy.close());
  const page = await openDashboard(browser, proxy);
  let s = await waitForLoad(page);
  assert.equal(s.load.phase, 'done', s.load.error);
  await waitForState(page, (x) => x.live.state === 'live', { what: 'the live stream' });
  const firstSince = Number(proxy.streams[0].since);

  let base = collector.base;
  const writer = startWriter(() => base, { answers: 120, lanes: 2, prefix: 'kill' });
  const deadline = Date.now() + 30000;
  while (writer.acked.size < 40 && Date.now() < deadline) await sleep(20);
  const exit = await collector.kill9();
  assert.equal(exit.signal, 'SIGKILL');
  const killedAt = Date.now();
  base = 'http://127.0.0.1:1';  // the writer retries against nothing meanwhile
  proxy.upstream = null;
  await waitForState(page, (x) => x.live.state === 'reconnecting', { what: 'the reconnecting state' });
  await sleep(3800);
  collector = await startCollector({ db, args });
  proxy.upstream = collector.base;
  base = collector.base;
  await writer.done;
  const stored = await storedFigures(collector.base);
  assert.equal(stored.n, 200 + 120, 'every answer stored once');
  const { items: changed, cursor: lastCursor } = await readAll(collector.base, READ_KEY, { since: firstSince });
  s = await waitCaughtUp(page, proxy, lastCursor);
  assert.equal(s.n, stored.n);
  assert.deepEqual(s.histogram, stored.histogram);

  // While it was gone: refused attempts, each one later than the one before (exponential
  // backoff, 500 ms × 2^k with ±20 % jitter: never sooner than 80 % of that).
  const down = proxy.streams.filter((c) => c.t >= killedAt && c.status === 502);
  t.diagnostic(`attempts while down: ${down.map((c) => c.t - killedAt).join(', ')} ms after the kill; writer failures ${writer.failures}`);
  assert.ok(down.length >= 2, `${down.length} refused attempts`);
  for (let i = 1; i < down.length; i++) {
    const gap = down[i].t - down[i - 1].t;
    assert.ok(gap >= 0.8 * 500 * 2 ** i - 20, `attempt ${i + 1} came ${gap} ms after the one before`);
  }
  const sources = await pageSources(page);
  t.diagnostic(summary(proxy, sources));
  const all = assertResumedExactly(sources, firstSince, 'restart');
  assertNoGap(all, changed, 'restart');
  assert.equal(s.live.events, all.length, 'the dashboard took each event once');
  const history = await liveHistory(page);
  assert.ok(history.includes('reconnecting') && history.at(-1) === 'live', history.join(' → '));
  assert.deepEqual(page.errors, []);
  await page.close();
});
