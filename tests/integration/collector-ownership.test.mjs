// Issue 13, items 2, 4 and 6 (server half): an answer only its respondent's follow-up can
// change, rate limits that hold behind a proxy and on IPv6 /64s, the read key's slow-down and
// minimum length. Real collector processes; each case is bounded (a few seconds).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  startCollector, runToExit, collectorBinary, answer, post, readAll, READ_KEY,
} from './collector-harness.mjs';

const auth = { Authorization: `Bearer ${READ_KEY}` };
const isoSeconds = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

// One request from a chosen local address (the whole 127.0.0.0/8 is loopback).
function request(base, { method = 'GET', path = '/', headers = {}, body, localAddress } = {}) {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: url.pathname + url.search, method, headers,
      localAddress, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, json, text });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}
const postFrom = (base, body, headers = {}, localAddress) =>
  request(base, { method: 'POST', path: '/v1/responses', headers: { 'Content-Type': 'application/json', ...headers }, body, localAddress });

// Request log lines are written once the answer is sent: poll for them (bounded).
async function waitFor(check, ms = 2000) {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return check();
}

async function stored(base, id) {
  const { items } = await readAll(base, READ_KEY, { limit: 10000 });
  return items.filter((i) => i.id === id);
}

describe('answers only their follow-up can change', () => {
  let c;
  before(async () => { c = await startCollector({ args: ['--rate', '0'] }); });
  after(async () => { await c.stop(); c.cleanup(); });

  test("the overwrite probe: someone's id, another type and survey, an email: 409, the answer unchanged", async () => {
    const victim = answer({ score: 10, ts: isoSeconds(Date.now() - 60000), contact_ok: true, email: 'fan@example.com' });
    assert.equal((await post(c.base, victim)).status, 202);
    const { cursor } = await readAll(c.base, READ_KEY, { limit: 10000 });
    const probe = { v: 1, id: victim.id, type: 'dismissed', survey: 'other', ts: victim.ts, email: 'x@evil.test' };
    const r = await post(c.base, probe);
    assert.equal(r.status, 409);
    const fields = r.json.errors.map((e) => e.field);
    for (const e of r.json.errors) assert.equal(e.code, 'conflict');
    assert.ok(fields.includes('type') && fields.includes('survey') && fields.includes('score'), fields.join());
    assert.equal(new Set(fields).size, fields.length);  // one entry per field
    // The probe exactly as the issue wrote it (no v, no ts) does not get through either.
    const bare = await post(c.base, { id: victim.id, type: 'dismissed', survey: 'other', email: 'x@evil.test' });
    assert.notEqual(bare.status, 202);
    const rows = await stored(c.base, victim.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].score, 10);
    assert.equal(rows[0].survey, victim.survey);
    assert.equal(rows[0].type, 'response');
    assert.equal(rows[0].email, 'fan@example.com');
    assert.equal((await readAll(c.base, READ_KEY, { since: cursor })).items.length, 0);  // no new cursor
    await waitFor(() => c.logs.some((l) => l.msg === 'write refused: conflict' && l.id === victim.id));
    const line = c.logs.find((l) => l.msg === 'write refused: conflict' && l.id === victim.id);
    assert.ok(line, 'a log line for the refused write');
    assert.deepEqual([...line.fields].sort(), [...fields].sort());
  });

  test('a display event never replaces a response (conflict on type); a score cannot change', async () => {
    const a = answer({ score: 7, ts: isoSeconds(Date.now() - 5000) });
    assert.equal((await post(c.base, a)).status, 202);
    const shown = await post(c.base, { v: 1, id: a.id, type: 'shown', survey: a.survey, ts: a.ts });
    assert.equal(shown.status, 409);
    assert.ok(shown.json.errors.some((e) => e.code === 'conflict' && e.field === 'type'));
    const rescore = await post(c.base, { ...a, score: 9 });
    assert.equal(rescore.status, 409);
    assert.deepEqual(rescore.json.errors.map((e) => e.field), ['score']);
    const rows = await stored(c.base, a.id);
    assert.equal(rows[0].type, 'response');
    assert.equal(rows[0].score, 7);
    assert.equal((await post(c.base, a)).status, 202);  // a replay stays a no-op 202
  });

  test('the follow-up within 24 h adds comment, contact_ok, email and attributes', async () => {
    const a = answer({ score: 2, ts: isoSeconds(Date.now() - 23 * 3600 * 1000), attributes: { plan: 'free' } });
    assert.equal((await post(c.base, a)).status, 202);
    const followUp = { ...a, comment: 'Too slow', contact_ok: true, email: 'me@example.com', attributes: { plan: 'free', seats: '3' } };
    assert.equal((await post(c.base, followUp)).status, 202);
    assert.equal((await post(c.base, { ...followUp, comment: 'Too slow on Mondays' })).status, 202);
    const [row] = await stored(c.base, a.id);
    assert.equal(row.score, 2);
    assert.equal(row.comment, 'Too slow on Mondays');
    assert.equal(row.contact_ok, true);
    assert.equal(row.email, 'me@example.com');
    assert.deepEqual(row.attributes, { plan: 'free', seats: '3' });
    assert.equal(row.ts, a.ts);
  });

  test('after the window (answered 25 h ago) a comment is refused; a replay still passes', async () => {
    const a = answer({ score: 9, ts: isoSeconds(Date.now() - 25 * 3600 * 1000) });
    assert.equal((await post(c.base, a)).status, 202);
    const late = await post(c.base, { ...a, comment: 'edited later' });
    assert.equal(late.status, 409);
    assert.deepEqual(late.json.errors.map((e) => [e.code, e.field]), [['conflict', 'comment']]);
    assert.equal((await post(c.base, a)).status, 202);
    const [row] = await stored(c.base, a.id);
    assert.equal(row.comment, undefined);
  });
});

describe('rate limits behind a proxy and on IPv6', () => {
  const limits = ['--rate', '0.001', '--burst', '2'];

  test('without --trusted-proxy, X-Forwarded-For is ignored (one bucket for the socket), and a warning at start', async () => {
    const c = await startCollector({ args: limits });
    try {
      assert.ok(c.logs.some((l) => l.level === 'warn' && /trusted-proxy/.test(l.msg)), 'loopback + rate limit: a warning');
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await postFrom(c.base, answer(), { 'X-Forwarded-For': `203.0.113.${i + 1}` })).status);
      assert.deepEqual(codes, [202, 202, 429]);
    } finally { await c.stop(); c.cleanup(); }
  });

  test('with --trusted-proxy, the client it names has its own bucket; a forged header from another peer is ignored', async () => {
    const c = await startCollector({ args: [...limits, '--trusted-proxy', '127.0.0.1/32'] });
    try {
      assert.ok(!c.logs.some((l) => l.level === 'warn' && /trusted-proxy/.test(l.msg)));
      const a = [], b = [];
      for (let i = 0; i < 3; i++) a.push((await postFrom(c.base, answer(), { 'X-Forwarded-For': '6.6.6.6, 203.0.113.1' }, '127.0.0.1')).status);
      for (let i = 0; i < 2; i++) b.push((await postFrom(c.base, answer(), { 'X-Forwarded-For': '203.0.113.2' }, '127.0.0.1')).status);
      assert.deepEqual(a, [202, 202, 429]);
      assert.deepEqual(b, [202, 202]);
      const logged = () => c.logs.filter((l) => l.msg === 'request' && l.client === '203.0.113.1').length;
      assert.ok(await waitFor(() => logged() === 3), `3 request lines name the client, not ${logged()}`);
      // 127.0.0.2 is not a trusted proxy: its X-Forwarded-For names nobody, it has its own bucket.
      const forged = [];
      for (let i = 0; i < 3; i++) forged.push((await postFrom(c.base, answer(), { 'X-Forwarded-For': `198.51.100.${i}` }, '127.0.0.2')).status);
      assert.deepEqual(forged, [202, 202, 429]);
      assert.ok(!c.logs.some((l) => l.msg === 'request' && /^198\.51\.100\./.test(l.client ?? '')));
      // Forwarded: for= counts the same way when there is no X-Forwarded-For.
      const fwd = await postFrom(c.base, answer(), { Forwarded: 'for="[2001:db8:5::1]:443";proto=https' }, '127.0.0.1');
      assert.equal(fwd.status, 202);
      assert.ok(await waitFor(() => c.logs.some((l) => l.msg === 'request' && l.client === '2001:db8:5::1')));
    } finally { await c.stop(); c.cleanup(); }
  });

  test('IPv6 addresses of one /64 share a bucket, another /64 has its own', async () => {
    const c = await startCollector({ args: [...limits, '--trusted-proxy', '127.0.0.1/32'] });
    try {
      const codes = [];
      for (const ip of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::3', '2001:db8:1:3::1'])
        codes.push((await postFrom(c.base, answer(), { 'X-Forwarded-For': ip }, '127.0.0.1')).status);
      assert.deepEqual(codes, [202, 202, 429, 202]);
    } finally { await c.stop(); c.cleanup(); }
  });

  test('on ::1 the socket address of an IPv6 client is bucketed too (skipped without ::1)', async (t) => {
    let c;
    try { c = await startCollector({ args: [...limits, '--bind', '::1'] }); } catch { t.skip('no ::1 here'); return; }
    try {
      const base = `http://[::1]:${c.port}`;
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await postFrom(base, answer())).status);
      assert.deepEqual(codes, [202, 202, 429]);
      assert.ok(c.logs.some((l) => l.level === 'warn' && /trusted-proxy/.test(l.msg)));
    } finally { await c.stop(); c.cleanup(); }
  });

  test('--trusted-proxy and NPSKIT_TRUSTED_PROXY must be addresses or CIDRs', async () => {
    const r = await runToExit(collectorBinary, ['--trusted-proxy', 'proxy.example.com']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--trusted-proxy must be an address or CIDR/);
    const c = await startCollector({ args: limits, env: { NPSKIT_TRUSTED_PROXY: '10.0.0.0/8, 127.0.0.1/32' } });
    try {
      assert.ok(!c.logs.some((l) => l.level === 'warn' && /trusted-proxy/.test(l.msg)));
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await postFrom(c.base, answer(), { 'X-Forwarded-For': `203.0.113.${i + 1}` })).status);
      assert.deepEqual(codes, [202, 202, 202]);
    } finally { await c.stop(); c.cleanup(); }
  });
});

describe('the read key', () => {
  test('after 10 wrong keys in a minute, reads from that address get 429 whatever the key; others are not slowed', async () => {
    const c = await startCollector({ args: ['--rate', '0'] });
    try {
      for (let i = 0; i < 10; i++) {
        const r = await request(c.base, { path: '/v1/responses?limit=1', headers: { Authorization: `Bearer guess-${i}-0000000000` }, localAddress: '127.0.0.3' });
        assert.equal(r.status, 401, `try ${i}`);
      }
      for (const path of ['/v1/responses?limit=1', '/v1/aggregate', '/v1/stream']) {
        const r = await request(c.base, { path, headers: auth, localAddress: '127.0.0.3' });
        assert.equal(r.status, 429, path);
        assert.equal(r.json.errors[0].code, 'too_many_failures');
        const wait = Number(r.headers['retry-after']);
        assert.ok(wait >= 1 && wait <= 61, `Retry-After ${wait}`);
      }
      const other = await request(c.base, { path: '/v1/responses?limit=1', headers: auth, localAddress: '127.0.0.4' });
      assert.equal(other.status, 200);
      assert.equal((await postFrom(c.base, answer(), {}, '127.0.0.3')).status, 202);  // writes need no key
    } finally { await c.stop(); c.cleanup(); }
  });

  test('--read-key shorter than 16 characters is refused at start; 16 is enough', async () => {
    for (const key of ['short', '0123456789abcde']) {
      const r = await runToExit(collectorBinary, ['--read-key', key, '--port', '0']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--read-key must be at least 16 characters/);
    }
    const c = await startCollector({ readKey: '0123456789abcdef', args: ['--rate', '0'] });
    try {
      const r = await fetch(`${c.base}/v1/responses?limit=1`, { headers: { Authorization: 'Bearer 0123456789abcdef' } });
      assert.equal(r.status, 200);
      await r.text();
    } finally { await c.stop(); c.cleanup(); }
  });
});
