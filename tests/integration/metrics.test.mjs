// GET /metrics on the real collector: the output passes `promtool check metrics` (Debian's
// prometheus package), needs the read key, and its counters move by exactly what known
// requests should move them by.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startCollector, answer, post, READ_KEY } from './collector-harness.mjs';

const PROMTOOL = process.env.PROMTOOL || '/usr/bin/promtool';
const auth = { Authorization: `Bearer ${READ_KEY}` };

// Wrong read keys are sent as another client (X-Forwarded-For through a trusted proxy), so the
// slow-down they earn does not lock this test's own scrapes out.
const collector = await startCollector({
  args: ['--rate', '1', '--burst', '12', '--max-read-failures', '3', '--trusted-proxy', '127.0.0.1/32', '--quiet'],
});
after(async () => { await collector.stop(); collector.cleanup(); });

async function scrape() {
  const res = await fetch(`${collector.base}/metrics`, { headers: auth });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return res.text();
}

// "name{labels}" → number, for every sample line.
function parse(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}
const value = (m, key) => m.get(key) ?? 0;  // a labelled series appears at its first request

// The layer counts a request once its answer is written, a moment after the client has it.
async function settled(check) {
  for (let i = 0; ; i += 1) {
    const m = parse(await scrape());
    if (check(m) || i >= 40) return m;
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('promtool check metrics accepts the output', { skip: !existsSync(PROMTOOL) && 'no promtool' }, async () => {
  // A little of everything first, so that labelled series and histograms have samples.
  assert.equal((await post(collector.base, answer())).status, 202);
  await fetch(`${collector.base}/healthz`);
  await fetch(`${collector.base}/v1/aggregate`, { headers: auth });
  await fetch(`${collector.base}/nope`);
  const text = await scrape();
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}\n${text}`);
  assert.equal(r.stdout + r.stderr, '', 'promtool lint findings');
  for (const family of ['npskit_http_requests_total', 'npskit_http_request_duration_seconds', 'npskit_answers_total',
    'npskit_commit_batch_rows', 'npskit_commit_duration_seconds', 'npskit_rows', 'npskit_stream_listeners',
    'npskit_rate_limited_total', 'npskit_storage_errors_total', 'npskit_build_info'])
    assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'));
  assert.match(text, /^npskit_build_info\{version="\d+\.\d+\.\d+"\} 1$/m);
});

test('without the read key: 401, counted under its route', async () => {
  const before = parse(await scrape());
  const res = await fetch(`${collector.base}/metrics`);
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), 'Bearer');
  assert.equal((await res.json()).errors[0].code, 'unauthorized');
  const key = 'npskit_http_requests_total{route="/metrics",method="GET",code="401"}';
  const m = await settled((m) => value(m, key) === value(before, key) + 1);
  assert.equal(value(m, key), value(before, key) + 1);
  assert.equal((await fetch(`${collector.base}/metrics`, { method: 'POST', headers: auth })).status, 405);
});

test('5 POSTs: acknowledged +5, rows +5, the 202 counter +5, 5 rows committed', async () => {
  const before = parse(await scrape());
  const ids = [];
  for (let i = 0; i < 5; i += 1) {
    const r = await post(collector.base, answer({ score: i }));
    assert.equal(r.status, 202);
    ids.push(r.json.id);
  }
  const ok = 'npskit_http_requests_total{route="/v1/responses",method="POST",code="202"}';
  const m = await settled((m) => value(m, ok) === value(before, ok) + 5);
  assert.equal(value(m, ok), value(before, ok) + 5);
  assert.equal(value(m, 'npskit_answers_total{outcome="inserted"}'), value(before, 'npskit_answers_total{outcome="inserted"}') + 5);
  assert.equal(value(m, 'npskit_rows'), value(before, 'npskit_rows') + 5);
  assert.equal(value(m, 'npskit_cursor'), value(before, 'npskit_cursor') + 5);
  assert.equal(value(m, 'npskit_commit_batch_rows_sum'), value(before, 'npskit_commit_batch_rows_sum') + 5);
  assert.ok(value(m, 'npskit_commit_batch_rows_count') > value(before, 'npskit_commit_batch_rows_count'));
  assert.equal(value(m, 'npskit_commit_duration_seconds_count'), value(m, 'npskit_commit_batch_rows_count'));
  const count = 'npskit_http_request_duration_seconds_count{route="/v1/responses"}';
  assert.ok(value(m, count) >= value(before, count) + 5);
  assert.equal(value(m, 'npskit_write_queue_depth'), 0);

  // A replay is unchanged, a changed score a conflict (409): neither adds a row.
  const first = answer({ score: 3 });
  assert.equal((await post(collector.base, first)).status, 202);
  assert.equal((await post(collector.base, first)).status, 202);
  assert.equal((await post(collector.base, { ...first, score: 4 })).status, 409);
  const after = await settled((m) => value(m, 'npskit_answers_total{outcome="conflict"}') === value(before, 'npskit_answers_total{outcome="conflict"}') + 1);
  assert.equal(value(after, 'npskit_answers_total{outcome="unchanged"}'), value(before, 'npskit_answers_total{outcome="unchanged"}') + 1);
  assert.equal(value(after, 'npskit_answers_total{outcome="conflict"}'), value(before, 'npskit_answers_total{outcome="conflict"}') + 1);
  assert.equal(value(after, 'npskit_rows'), value(before, 'npskit_rows') + 6);
  const conflicts = 'npskit_http_requests_total{route="/v1/responses",method="POST",code="409"}';
  assert.equal(value(after, conflicts), value(before, conflicts) + 1);
});

test('rate-limited writes and read-key slow-downs are counted', async () => {
  const before = parse(await scrape());
  let limited = 0;
  for (let i = 0; i < 16; i += 1) if ((await post(collector.base, answer())).status === 429) limited += 1;
  assert.ok(limited > 0, 'the bucket of 12 at 1/s ran out');
  let slowed = 0;
  for (let i = 0; i < 5; i += 1) {
    const headers = { Authorization: 'Bearer wrong-key-0123456789', 'X-Forwarded-For': '203.0.113.9' };
    const s = (await fetch(`${collector.base}/v1/responses`, { headers })).status;
    if (s === 429) slowed += 1;
  }
  assert.ok(slowed > 0);
  const m = await settled((m) => value(m, 'npskit_rate_limited_total{reason="read_key_failures"}') ===
    value(before, 'npskit_rate_limited_total{reason="read_key_failures"}') + slowed);
  assert.equal(value(m, 'npskit_rate_limited_total{reason="writes"}'), value(before, 'npskit_rate_limited_total{reason="writes"}') + limited);
  assert.equal(value(m, 'npskit_rate_limited_total{reason="read_key_failures"}'),
    value(before, 'npskit_rate_limited_total{reason="read_key_failures"}') + slowed);
  const key = 'npskit_http_requests_total{route="/v1/responses",method="POST",code="429"}';
  assert.equal(value(m, key), value(before, key) + limited);
});

test('stream listeners: a gauge that follows open streams', async () => {
  const read = async () => parse(await scrape());
  const base = value(await read(), 'npskit_stream_listeners');
  const controllers = [new AbortController(), new AbortController()];
  const streams = await Promise.all(controllers.map((ac) => fetch(`${collector.base}/v1/stream`, { headers: auth, signal: ac.signal })));
  for (const s of streams) assert.equal(s.status, 200);
  assert.equal(value(await read(), 'npskit_stream_listeners'), base + 2);
  controllers[0].abort();
  const m = await settled((m) => value(m, 'npskit_stream_listeners') === base + 1);
  assert.equal(value(m, 'npskit_stream_listeners'), base + 1);
  controllers[1].abort();
  const done = await settled((m) => value(m, 'npskit_stream_listeners') === base);
  assert.equal(value(done, 'npskit_stream_listeners'), base);
  // An ended stream is one request of its route, not a duration sample.
  assert.ok(value(done, 'npskit_http_requests_total{route="/v1/stream",method="GET",code="200"}') >= 1);
  assert.equal(done.has('npskit_http_request_duration_seconds_count{route="/v1/stream"}'), false);
  assert.equal(value(done, 'npskit_storage_errors_total{op="write"}'), 0);
});
