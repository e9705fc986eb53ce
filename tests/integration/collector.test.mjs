// npskit-collector over HTTP: validation, upsert, CORS, read key, rate limit, SSE, aggregate
// versus the CLI, static files, flags. Every test talks to a real collector process.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  startCollector, runToExit, collectorBinary, cliBinary, tempDir, removeDir, answer, post, readAll, READ_KEY,
  readSseEvents,
} from './collector-harness.mjs';

const auth = { Authorization: `Bearer ${READ_KEY}` };

describe('collector: writes, reads and access', () => {
  let c;
  before(async () => { c = await startCollector({ args: ['--origins', 'https://app.example.com, https://other.example.org', '--rate', '0'] }); });
  after(async () => { await c.stop(); c.cleanup(); });

  test('healthz answers and the startup line names the port', async () => {
    const res = await fetch(`${c.base}/healthz`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.ok, true);
    const started = c.logs.find((l) => l.msg === 'listening');
    assert.equal(started.port, c.port);
    assert.match(started.db, /WAL/);
  });

  test('a valid answer is accepted with 202 and its id', async () => {
    const a = answer({ score: 10, comment: 'Great', attributes: { plan: 'pro' } });
    const r = await post(c.base, a);
    assert.equal(r.status, 202);
    assert.deepEqual(r.json, { id: a.id });
    const sendBeacon = await post(c.base, answer(), { contentType: 'text/plain;charset=UTF-8' });
    assert.equal(sendBeacon.status, 202);
  });

  test('400 lists every problem with its code and field', async () => {
    const r = await post(c.base, { v: 1, id: 'x', survey: 'product-nps', score: 11, extra: true });
    assert.equal(r.status, 400);
    const codes = r.json.errors.map((e) => `${e.code}:${e.field}`).sort();
    assert.deepEqual(codes, ['bad_id:id', 'missing:ts', 'score_out_of_range:score', 'unknown_field:extra']);
    for (const e of r.json.errors) assert.ok(e.message.length > 5);
    const notJson = await post(c.base, '{"v":1,');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json.errors[0].code, 'not_json');
    const array = await post(c.base, '[1,2]');
    assert.equal(array.json.errors[0].code, 'not_object');
  });

  test('415 for other content types, 413 above 64 KB', async () => {
    const xml = await post(c.base, answer(), { contentType: 'application/xml' });
    assert.equal(xml.status, 415);
    assert.equal(xml.json.errors[0].code, 'unsupported_media_type');
    const form = await post(c.base, 'a=b', { contentType: 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    const big = answer({ comment: 'x'.repeat(70 * 1024) });
    const tooBig = await post(c.base, big);
    assert.equal(tooBig.status, 413);
    // Exactly at the limit is fine for the transport (the schema then judges the comment).
    const atLimit = JSON.stringify(answer({ comment: 'ok' }));
    const padded = atLimit + ' '.repeat(64 * 1024 - Buffer.byteLength(atLimit));
    assert.equal(Buffer.byteLength(padded), 64 * 1024);
    assert.equal((await post(c.base, padded)).status, 202);
  });

  test('431 for too many header lines', async () => {
    const headers = {};
    for (let i = 0; i < 120; i++) headers[`x-filler-${i}`] = 'x';
    const r = await post(c.base, answer(), { headers });
    assert.equal(r.status, 431);
    assert.equal(r.json.errors[0].code, 'too_many_headers');
  });

  test('upsert by id: a replay is a no-op, a later comment merges and moves the cursor', async () => {
    // Answered a minute ago: the follow-up comes within the 24 h window (docs/schema.md).
    const answeredAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 60000);
    const first = answer({ score: 3, trigger: 'invoice_paid', attributes: { plan: 'free' }, ts: answeredAt.toISOString().replace('.000Z', 'Z') });
    assert.equal((await post(c.base, first)).status, 202);
    const { cursor: afterFirst, items: before } = await readAll(c.base, READ_KEY);
    const mine = before.filter((i) => i.id === first.id);
    assert.equal(mine.length, 1);

    // Replay the same body: accepted, nothing changes, no new cursor.
    assert.equal((await post(c.base, first)).status, 202);
    const replay = await readAll(c.base, READ_KEY, { since: afterFirst });
    assert.equal(replay.items.length, 0);

    // The follow-up: comment and contact opt-in under the same id, without the trigger.
    const followUp = { v: 1, id: first.id, survey: first.survey, score: 3, ts: new Date(answeredAt.getTime() + 40000).toISOString(),
      comment: 'Billing is confusing', contact_ok: true, attributes: { country: 'FR' } };
    assert.equal((await post(c.base, followUp)).status, 202);
    const update = await readAll(c.base, READ_KEY, { since: afterFirst });
    assert.equal(update.items.length, 1);
    const merged = update.items[0];
    assert.equal(merged.id, first.id);
    assert.equal(merged.comment, 'Billing is confusing');
    assert.equal(merged.contact_ok, true);
    assert.equal(merged.trigger, 'invoice_paid');       // kept from the first write
    assert.equal(merged.ts, first.ts);                  // when it was answered
    assert.deepEqual(merged.attributes, { country: 'FR', plan: 'free' });
    assert.ok(update.cursor > afterFirst);
    const all = await readAll(c.base, READ_KEY);
    assert.equal(all.items.filter((i) => i.id === first.id).length, 1);
  });

  test('display events are stored', async () => {
    const shown = { v: 1, id: `shown-${Date.now()}`, type: 'shown', survey: 'product-nps', ts: '2026-03-02T09:59:00Z' };
    assert.equal((await post(c.base, shown)).status, 202);
    const withScore = await post(c.base, { ...shown, id: `${shown.id}-b`, score: 5 });
    assert.equal(withScore.status, 400);
    assert.equal(withScore.json.errors[0].code, 'score_not_allowed');
    const { items } = await readAll(c.base, READ_KEY);
    assert.equal(items.find((i) => i.id === shown.id).type, 'shown');
  });

  test('pagination: limit, next cursor, NDJSON with X-Next-Cursor', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await post(c.base, answer({ score: i }))).status, 202);
    const all = await readAll(c.base, READ_KEY, { limit: 2 });
    const again = await readAll(c.base, READ_KEY, { limit: 1000 });
    assert.deepEqual(all.items.map((i) => i.id), again.items.map((i) => i.id));
    const res = await fetch(`${c.base}/v1/responses?since=0&limit=3&format=ndjson`, { headers: auth });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /application\/x-ndjson/);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    assert.deepEqual(lines.map((l) => l.id), again.items.slice(0, 3).map((i) => i.id));
    const next = res.headers.get('x-next-cursor');
    const rest = await fetch(`${c.base}/v1/responses?since=${next}&limit=1`, { headers: auth }).then((r) => r.json());
    assert.equal(rest.items[0].id, again.items[3].id);
    const bad = await fetch(`${c.base}/v1/responses?since=abc`, { headers: auth });
    assert.equal(bad.status, 400);
  });

  test('reads need the read key (header or access_token); writes cannot read', async () => {
    for (const p of ['/v1/responses', '/v1/aggregate?by=week', '/v1/stream']) {
      const none = await fetch(c.base + p);
      assert.equal(none.status, 401, p);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer');
      const wrong = await fetch(c.base + p, { headers: { Authorization: 'Bearer not-the-key-000' } });
      assert.equal(wrong.status, 401, p);
      await wrong.text();
      await none.text();
    }
    const ok = await fetch(`${c.base}/v1/responses?limit=1`, { headers: auth });
    assert.equal(ok.status, 200);
    const token = await fetch(`${c.base}/v1/responses?limit=1&access_token=${READ_KEY}`);
    assert.equal(token.status, 200);
    // The answer to a write never carries stored data.
    const w = await post(c.base, answer());
    assert.deepEqual(Object.keys(w.json), ['id']);
  });

  test('CORS: preflight and writes from the allowlist, refusal otherwise, same origin always', async () => {
    const preflight = (origin) => fetch(`${c.base}/v1/responses`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    const okPre = await preflight('https://app.example.com');
    assert.equal(okPre.status, 204);
    assert.equal(okPre.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.match(okPre.headers.get('access-control-allow-methods'), /POST/);
    assert.match(okPre.headers.get('access-control-allow-headers').toLowerCase(), /content-type/);
    const other = await preflight('https://other.example.org');
    assert.equal(other.status, 204);
    const evil = await preflight('https://evil.example.net');
    assert.equal(evil.status, 403);
    assert.equal(evil.headers.get('access-control-allow-origin'), null);

    const allowed = await post(c.base, answer(), { headers: { Origin: 'https://app.example.com' } });
    assert.equal(allowed.status, 202);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
    const refused = await post(c.base, answer(), { contentType: 'text/plain', headers: { Origin: 'https://evil.example.net' } });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.errors[0].code, 'origin_not_allowed');
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
    // The page the collector serves itself is same-origin.
    const same = await post(c.base, answer(), { headers: { Origin: c.base } });
    assert.equal(same.status, 202);
  });

  test('every request is one JSON log line on stderr, without the access token', async () => {
    await fetch(`${c.base}/v1/responses?limit=1&access_token=${READ_KEY}`).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 100));
    const requests = c.logs.filter((l) => l.msg === 'request');
    assert.ok(requests.length > 10);
    for (const l of requests) {
      assert.equal(typeof l.status, 'number');
      assert.equal(typeof l.ms, 'number');
      assert.ok(l.method && l.path && l.ts);
    }
    assert.ok(!c.logs.some((l) => JSON.stringify(l).includes(READ_KEY)));
  });
});

describe('collector: rate limit', () => {
  test('per-IP token bucket answers 429 with Retry-After', async () => {
    const c = await startCollector({ args: ['--rate', '1', '--burst', '3'] });
    try {
      const results = [];
      for (let i = 0; i < 6; i++) results.push(await post(c.base, answer()));
      const statuses = results.map((r) => r.status);
      assert.deepEqual(statuses.slice(0, 3), [202, 202, 202]);
      const limited = results.filter((r) => r.status === 429);
      assert.ok(limited.length >= 2, statuses.join(','));
      for (const r of limited) {
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
        assert.equal(r.json.errors[0].code, 'rate_limited');
      }
      // Reads are not writes: not limited.
      const read = await fetch(`${c.base}/v1/responses?limit=1`, { headers: auth });
      assert.equal(read.status, 200);
    } finally { await c.stop(); c.cleanup(); }
  });
});

// A minimal SSE client over fetch (node has no EventSource).
function openStream(url, headers = {}) {
  const controller = new AbortController();
  const events = [];
  const waiters = [];
  const done = (async () => {
    const res = await fetch(url, { headers, signal: controller.signal });
    if (res.status !== 200) throw new Error(`stream: ${res.status}`);
    try {
      await readSseEvents(res.body, (ev) => {
        events.push({ id: ev.id, event: ev.event, data: JSON.parse(ev.data), at: Date.now() });
        for (const w of waiters.splice(0)) w();
      });
    } catch (e) { if (e.name !== 'AbortError') throw e; }
  })();
  return {
    events,
    async waitFor(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${events.length} of ${n} events`);
        await new Promise((r) => { waiters.push(r); setTimeout(r, 100); });
      }
      return events;
    },
    async close() { controller.abort(); await done.catch(() => {}); },
  };
}

describe('collector: live stream (SSE)', () => {
  let c;
  before(async () => { c = await startCollector({ args: ['--rate', '0'] }); });
  after(async () => { await c.stop(); c.cleanup(); });

  test('delivers each new and updated row with its cursor, then resumes with Last-Event-ID', async () => {
    const stream = openStream(`${c.base}/v1/stream`, auth);
    await new Promise((r) => setTimeout(r, 200));  // connected before the writes
    // a is answered now: its follow-up comes within the 24 h window (docs/schema.md).
    const a = answer({ score: 2, ts: new Date().toISOString() }), b = answer({ score: 8 }), x = answer({ score: 10 });
    for (const body of [a, b, x]) assert.equal((await post(c.base, body)).status, 202);
    assert.equal((await post(c.base, { ...a, comment: 'slow' })).status, 202);  // an update is an event too
    const events = await stream.waitFor(4);
    assert.deepEqual(events.map((e) => e.data.id), [a.id, b.id, x.id, a.id]);
    assert.equal(events[3].data.comment, 'slow');
    for (const e of events) assert.equal(e.event, 'response');
    for (let i = 1; i < events.length; i++) assert.ok(events[i].id > events[i - 1].id);
    await stream.close();

    const missed = [answer({ score: 0 }), answer({ score: 6 })];
    for (const body of missed) assert.equal((await post(c.base, body)).status, 202);
    const resumed = openStream(`${c.base}/v1/stream`, { ...auth, 'Last-Event-ID': String(events[3].id) });
    const got = await resumed.waitFor(2);
    assert.deepEqual(got.map((e) => e.data.id), missed.map((m) => m.id));
    await resumed.close();

    // ?since= and ?access_token= (what EventSource can do) replay from any cursor.
    const replay = openStream(`${c.base}/v1/stream?since=${events[0].id}&access_token=${READ_KEY}`);
    const all = await replay.waitFor(5);
    assert.deepEqual(all.map((e) => e.data.id), [b.id, x.id, a.id, ...missed.map((m) => m.id)]);
    await replay.close();

    // A cursor from another (reset) database replays from the start instead of waiting forever.
    const future = openStream(`${c.base}/v1/stream`, { ...auth, 'Last-Event-ID': '999999' });
    const fromStart = await future.waitFor(5);
    assert.equal(fromStart[0].data.id, b.id);  // a was updated later: its row now sits at its new cursor
    await future.close();
  });

  test('a new row reaches an open stream quickly', async () => {
    const stream = openStream(`${c.base}/v1/stream`, auth);
    await new Promise((r) => setTimeout(r, 200));
    const lags = [];
    for (let i = 0; i < 5; i++) {
      const sent = Date.now();
      assert.equal((await post(c.base, answer())).status, 202);
      const events = await stream.waitFor(i + 1);
      lags.push(events[i].at - sent);
    }
    await stream.close();
    // Not a timing assertion on the machine's speed: only that rows are pushed, not found
    // every 10 s (the heartbeat). Latency figures: BENCHMARKS.md.
    assert.ok(Math.max(...lags) < 5000, lags.join(','));
  });
});

describe('collector: stream limit', () => {
  test('streams beyond --threads − 16 get 503 with Retry-After; a closed one frees its slot', async () => {
    const c = await startCollector({ args: ['--threads', '18'] });  // 2 streams
    try {
      const s1 = openStream(`${c.base}/v1/stream`, auth), s2 = openStream(`${c.base}/v1/stream`, auth);
      await new Promise((r) => setTimeout(r, 300));
      const third = await fetch(`${c.base}/v1/stream`, { headers: auth });
      assert.equal(third.status, 503);
      assert.equal(third.headers.get('retry-after'), '5');
      assert.equal((await third.json()).errors[0].code, 'too_many_streams');
      // Writes and reads still have workers.
      assert.equal((await post(c.base, answer())).status, 202);
      await s1.waitFor(1);
      await s1.close();
      // The server notices the closed stream at its next write (an event or the heartbeat).
      assert.equal((await post(c.base, answer())).status, 202);
      await s2.waitFor(2);
      let status = 0;
      for (let i = 0; i < 30 && status !== 200; i++) {
        const again = await fetch(`${c.base}/v1/stream`, { headers: auth, signal: AbortSignal.timeout(1000) }).catch(() => null);
        status = again?.status ?? 0;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
        else await again.body.cancel();
      }
      assert.equal(status, 200);
      await s2.close();
    } finally { await c.stop(); c.cleanup(); }
  });
});

describe('collector: aggregate equals the CLI for the same rows', () => {
  test('week and attribute groups: histograms, shown and dismissed match `npskit score`', async () => {
    assert.ok(existsSync(cliBinary), `${cliBinary} is missing`);
    const c = await startCollector({ args: ['--seed-demo', '1500', '--seed-end', '2026-01-01', '--rate', '0'] });
    const dir = tempDir();
    try {
      // A few live writes on top of the seed, one of them an update.
      // The update is a follow-up within the 24 h window (a score can no longer change, docs/schema.md):
      // its attribute moves the answer to another plan group.
      const a = answer({ score: 4, ts: new Date(Date.now() - 60000).toISOString(), attributes: { plan: 'pro' } });
      assert.equal((await post(c.base, a)).status, 202);
      assert.equal((await post(c.base, { ...a, comment: 'meh', attributes: { plan: 'team' } })).status, 202);
      assert.equal((await post(c.base, answer({ score: 10, ts: '2025-12-31T23:30:00Z' }))).status, 202);

      const res = await fetch(`${c.base}/v1/responses?limit=10000&format=ndjson`, { headers: auth });
      let ndjson = await res.text();
      let next = res.headers.get('x-next-cursor');
      for (;;) {
        const more = await fetch(`${c.base}/v1/responses?since=${next}&limit=10000&format=ndjson`, { headers: auth });
        const text = await more.text();
        if (!text) break;
        ndjson += text;
        next = more.headers.get('x-next-cursor');
      }
      const file = path.join(dir, 'rows.ndjson');
      writeFileSync(file, ndjson);
      assert.ok(ndjson.split('\n').length > 1500);

      for (const by of ['week', 'plan', 'month']) {
        const cli = await runToExit(cliBinary, ['score', '--by', by, file], { timeoutMs: 30000 });
        assert.equal(cli.code, 0, cli.stderr);
        const expected = JSON.parse(cli.stdout);
        const agg = await fetch(`${c.base}/v1/aggregate?by=${by}`, { headers: auth }).then((r) => r.json());
        assert.equal(agg.by, by);
        const total = agg.total.histogram;
        assert.deepEqual(total, expected.histogram);
        assert.equal(total.reduce((s, v) => s + v, 0), expected.n);
        assert.equal(total[9] + total[10], expected.promoters);
        assert.equal(total.slice(0, 7).reduce((s, v) => s + v, 0), expected.detractors);
        assert.equal(agg.total.shown, expected.shown);
        assert.equal(agg.total.dismissed, expected.dismissed);
        const cliGroups = new Map(expected.groups.map((g) => [g.key, g]));
        const ours = agg.groups.filter((g) => g.histogram.some((v) => v > 0) || g.shown > 0);
        assert.ok(ours.length >= 3);
        for (const g of ours) {
          const e = cliGroups.get(g.key);
          assert.ok(e, `group ${g.key} missing from the CLI's answer`);
          assert.deepEqual(g.histogram, e.histogram, `${by} ${g.key}`);
          if (e.shown !== undefined) assert.equal(g.shown, e.shown, `${by} ${g.key} shown`);
          if (e.dismissed !== undefined) assert.equal(g.dismissed, e.dismissed, `${by} ${g.key} dismissed`);
        }
        const cliNonEmpty = expected.groups.filter((g) => g.n > 0);
        assert.equal(ours.filter((g) => g.histogram.some((v) => v > 0)).length, cliNonEmpty.length);
      }

      // Filters: where= and since/until narrow the same way as the CLI's --where/--since (a bare-date
      // until includes its day on both, docs/parameters.md).
      const cli = JSON.parse((await runToExit(cliBinary, ['score', '--by', 'week', '--where', 'plan=enterprise',
        '--since', '2025-06-01', '--until', '2025-08-31', file])).stdout);
      const agg = await fetch(`${c.base}/v1/aggregate?by=week&where=plan:enterprise&since=2025-06-01&until=2025-08-31`,
        { headers: auth }).then((r) => r.json());
      assert.deepEqual(agg.total.histogram, cli.histogram);
      assert.ok(cli.n > 10);
      const bad = await fetch(`${c.base}/v1/aggregate?by=week&tz=noon`, { headers: auth });
      assert.equal(bad.status, 400);
      // Time zones: the same buckets as `npskit score --tz` (a raw '+' in a URL is a space).
      const cliTz = JSON.parse((await runToExit(cliBinary, ['score', '--by', 'day', '--tz', '+05:30', file])).stdout);
      for (const tz of ['%2B05:30', '+05:30']) {
        const aggTz = await fetch(`${c.base}/v1/aggregate?by=day&tz=${tz}`, { headers: auth }).then((r) => r.json());
        assert.equal(aggTz.tz, 330);
        const nonEmpty = aggTz.groups.filter((g) => g.histogram.some((v) => v > 0));
        const cliNonEmpty = cliTz.groups.filter((g) => g.n > 0);
        assert.deepEqual(nonEmpty.map((g) => [g.key, g.histogram]), cliNonEmpty.map((g) => [g.key, g.histogram]));
      }
    } finally {
      await c.stop(); c.cleanup(); removeDir(dir);
    }
  });
});

describe('collector: static files, flags and shutdown', () => {
  test('serves --web at / (wasm as application/wasm), --examples at /examples/, and /dashboard/', async () => {
    const dir = tempDir();
    const web = path.join(dir, 'web'), examples = path.join(dir, 'examples');
    mkdirSync(path.join(web, 'dashboard'), { recursive: true });
    mkdirSync(path.join(examples, 'saas-demo'), { recursive: true });
    writeFileSync(path.join(web, 'dashboard', 'index.html'), '<!doctype html><title>dash</title>');
    writeFileSync(path.join(web, 'npskit.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    writeFileSync(path.join(examples, 'saas-demo', 'index.html'), '<!doctype html><title>demo</title>');
    const c = await startCollector({ args: ['--web', web, '--examples', examples] });
    try {
      const wasm = await fetch(`${c.base}/npskit.wasm`);
      assert.equal(wasm.status, 200);
      assert.equal(wasm.headers.get('content-type'), 'application/wasm');
      assert.equal((await wasm.arrayBuffer()).byteLength, 8);
      const dash = await fetch(`${c.base}/dashboard/`);
      assert.equal(dash.status, 200);
      assert.match(await dash.text(), /dash/);
      const redirect = await fetch(`${c.base}/dashboard`, { redirect: 'manual' });
      assert.equal(redirect.status, 301);
      assert.equal(redirect.headers.get('location'), '/dashboard/');
      const demo = await fetch(`${c.base}/examples/saas-demo/`);
      assert.equal(demo.status, 200);
      assert.match(await demo.text(), /demo/);
      // Without an index.html in --web, / is a page of links to the demo and the dashboard.
      const index = await fetch(`${c.base}/`);
      assert.equal(index.status, 200);
      assert.match(index.headers.get('content-type'), /text\/html/);
      const html = await index.text();
      assert.match(html, /href="\/examples\/saas-demo\/"/);
      assert.match(html, /href="\/dashboard\/"/);
      const missing = await fetch(`${c.base}/examples/nope.html`);
      assert.equal(missing.status, 404);
      const escape = await fetch(`${c.base}/examples/..%2f..%2fetc/passwd`);
      assert.notEqual(escape.status, 200);
      await escape.text();
    } finally { await c.stop(); c.cleanup(); removeDir(dir); }
  });

  test('bad flags: a clear message and a non-zero exit', async () => {
    const cases = [
      [['--port', 'eighty'], /--port must be a number/],
      [['--frobnicate'], /unknown option '--frobnicate'/],
      [['--rate', '-3'], /--rate must be/],
      [['--origins', 'app.example.com'], /--origins entries look like/],
      [['--read-key', 'short'], /at least 16 characters/],
      [['--read-key', '0123456789abcde'], /at least 16 characters \(it is 15\)/],
      [['--db'], /--db needs a value/],
    ];
    for (const [args, message] of cases) {
      const r = await runToExit(collectorBinary, args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, message);
    }
    const help = await runToExit(collectorBinary, ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--seed-demo/);
  });

  test('environment variables configure it too; flags win', async () => {
    const dir = tempDir();
    const c = await startCollector({ db: path.join(dir, 'env.db'), readKey: null,
      env: { NPSKIT_READ_KEY: 'key-from-the-environment', NPSKIT_RATE: '0' } });
    try {
      const res = await fetch(`${c.base}/v1/responses`, { headers: { Authorization: 'Bearer key-from-the-environment' } });
      assert.equal(res.status, 200);
    } finally { await c.stop(); removeDir(dir); }
  });

  test('without a read key a random one is made and printed once', async () => {
    const c = await startCollector({ readKey: null });
    try {
      const started = c.logs.find((l) => l.msg === 'listening');
      assert.match(started.read_key, /^[A-Za-z0-9]{32}$/);
      const res = await fetch(`${c.base}/v1/responses`, { headers: { Authorization: `Bearer ${started.read_key}` } });
      assert.equal(res.status, 200);
    } finally { await c.stop(); c.cleanup(); }
  });

  test('SIGTERM stops it cleanly (exit 0) while a stream is open; data is kept', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'keep.db');
    const c = await startCollector({ db });
    const a = answer();
    assert.equal((await post(c.base, a)).status, 202);
    const stream = openStream(`${c.base}/v1/stream?since=0`, auth);
    await stream.waitFor(1);
    const exit = await c.stop();
    await stream.close();
    assert.equal(exit.code, 0);
    assert.ok(c.logs.some((l) => l.msg === 'stopped'));
    const again = await startCollector({ db });
    try {
      const { items } = await readAll(again.base, READ_KEY);
      assert.deepEqual(items.map((i) => i.id), [a.id]);
    } finally { await again.stop(); removeDir(dir); }
  });

  test('seeding happens only when the database is empty', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'seed.db');
    const first = await startCollector({ db, args: ['--seed-demo', '200'] });
    const n1 = (await readAll(first.base, READ_KEY)).items.length;
    await first.stop();
    const second = await startCollector({ db, args: ['--seed-demo', '200'] });
    try {
      const n2 = (await readAll(second.base, READ_KEY)).items.length;
      assert.ok(n1 > 200);  // answers plus display events
      assert.equal(n2, n1);
      assert.ok(second.logs.some((l) => /seed skipped/.test(l.msg)));
      assert.ok(readFileSync(db).length > 0);
    } finally { await second.stop(); removeDir(dir); }
  });
});
