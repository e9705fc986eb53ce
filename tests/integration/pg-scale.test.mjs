// Several stateless collectors on one PostgreSQL database (issue 14): one view from both, live
// streams across collectors, a collector killed under load, a database that goes away and comes
// back, bad URLs. The cluster is a throwaway one (tests/tools/pg-cluster.mjs).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, answer, post, readAll, readSseEvents, runToExit, collectorBinary, READ_KEY, waitFor } from './collector-harness.mjs';
import { startPgCluster, pgMissing } from '../tools/pg-cluster.mjs';

const missing = pgMissing();
if (missing) console.log(`# pg-scale skipped: ${missing}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const isoSeconds = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const collectorArgs = ['--rate', '0', '--quiet'];

// A /v1/stream from `since`, collecting events until closed.
function openStream(base, since = 0) {
  const controller = new AbortController();
  const events = [];
  const arrivals = new Map();  // id -> first arrival (ms)
  const done = (async () => {
    const res = await fetch(`${base}/v1/stream?since=${since}`, { headers: { Authorization: `Bearer ${READ_KEY}` }, signal: controller.signal });
    assert.equal(res.status, 200);
    await readSseEvents(res.body, (ev) => {
      const { id } = JSON.parse(ev.data);
      events.push({ cursor: ev.id, id });
      if (!arrivals.has(id)) arrivals.set(id, performance.now());
    });
  })().catch((e) => { if (e.name !== 'AbortError') throw e; });
  return { events, arrivals, close: async () => { controller.abort(); await done; } };
}

// One answer, tried on each base in turn (on a refused connection, a timeout or a 503) until a
// 202; resolves with the status that ended it, or null when no collector acknowledged it.
async function postWithRetry(bases, body, { attempts = 20 } = {}) {
  for (let i = 0; i < attempts; i++) {
    const base = bases[i % bases.length];
    try {
      const res = await fetch(`${base}/v1/responses`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(3000) });
      await res.text();
      if (res.status === 202 || res.status === 409 || res.status === 400) return res.status;
    } catch { /* the collector is gone or slow: the next one */ }
    await sleep(20);
  }
  return null;
}

describe('PostgreSQL: two collectors on one database', { skip: missing || false }, () => {
  let pg, a, b;
  before(async () => {
    pg = await startPgCluster({ fsync: false });
    [a, b] = await Promise.all([startCollector({ db: pg.url, args: collectorArgs }), startCollector({ db: pg.url, args: collectorArgs })]);
  });
  after(async () => { await a?.stop(); await b?.stop(); await pg?.destroy(); });

  test('writers on both, a stream on each: every acknowledged answer once on both streams, no gap', async () => {
    const sa = openStream(a.base), sb = openStream(b.base);
    await sleep(200);
    const acked = new Set();
    const followed = new Set();
    // 8 writers on each collector; every fifth answer gets a follow-up on the other collector.
    const writer = async (mine, other, n) => {
      for (let i = 0; i < n; i++) {
        const x = answer({ score: i % 11, ts: isoSeconds(Date.now() - 60000) });
        const r = await post(mine.base, x);
        assert.equal(r.status, 202);
        acked.add(x.id);
        if (i % 5 === 0) {
          assert.equal((await post(other.base, { ...x, comment: `from the other collector ${i}` })).status, 202);
          followed.add(x.id);
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, w) => (w % 2 ? writer(a, b, 60) : writer(b, a, 60))));
    assert.equal(acked.size, 960);
    for (const s of [sa, sb]) await waitFor(() => [...acked].every((id) => s.arrivals.has(id)), 5000, 'every acknowledged answer on the stream');
    await sleep(300);  // nothing more may come
    const table = await readAll(a.base, READ_KEY, { limit: 10000 });
    assert.deepEqual(await readAll(b.base, READ_KEY, { limit: 10000 }), table, 'both collectors give the same feed');
    const stored = table.items.filter((i) => acked.has(i.id));
    assert.equal(stored.length, acked.size, 'each acknowledged answer stored once');
    for (const id of followed) assert.ok(stored.find((i) => i.id === id).comment?.startsWith('from the other'));
    for (const s of [sa, sb]) {
      for (let i = 1; i < s.events.length; i++) assert.ok(s.events[i].cursor > s.events[i - 1].cursor, 'stream cursors grow');
      // A stream carries a row at each cursor it took; the last cursor of each id is the table's.
      const last = new Map();
      for (const e of s.events) last.set(e.id, e.cursor);
      const ids = new Set(s.events.map((e) => e.id));
      assert.deepEqual(ids, new Set(table.items.map((i) => i.id)), 'no row missing, none extra');
      assert.ok(s.events.length <= acked.size + followed.size + 1, `no double count (${s.events.length} events)`);
      // Each id at its latest cursor: ordered by the last cursor the stream gave it, the ids
      // are the table's own order (read_since is in cursor order).
      const byLast = [...last].sort((x, y) => x[1] - y[1]).map(([id]) => id);
      assert.deepEqual(byLast, table.items.map((i) => i.id));
    }
    // Live across collectors: posted to A, on B's stream within a second (and the other way).
    for (const [to, s] of [[a, sb], [b, sa]]) {
      for (let i = 0; i < 5; i++) {
        const x = answer();
        const t0 = performance.now();
        assert.equal((await post(to.base, x)).status, 202);
        await waitFor(() => s.arrivals.has(x.id), 1000, 'the answer on the other collector\'s stream within 1 s');
        assert.ok(s.arrivals.get(x.id) - t0 < 1000);
      }
    }
    await sa.close();
    await sb.close();
  });

  test('one collector SIGKILLed under load: clients retry on the other; each acknowledged answer stored once', async () => {
    const acked = [], lost = [];
    let stop = false;
    const writers = Array.from({ length: 12 }, async (_, w) => {
      // Half the clients prefer A (killed), half B.
      const order = w % 2 ? [a.base, b.base] : [b.base, a.base];
      while (!stop) {
        const x = answer({ ts: isoSeconds(Date.now() - 1000) });
        const status = await postWithRetry(order, x);
        (status === 202 ? acked : lost).push(x.id);
      }
    });
    await waitFor(() => acked.length >= 600, 10000, '600 answers acknowledged before the kill');
    await a.kill9();
    const atKill = acked.length;
    await waitFor(() => acked.length >= atKill + 600, 10000, '600 more acknowledged by the survivor');
    stop = true;
    await Promise.all(writers);
    assert.equal(lost.length, 0, 'every answer was acknowledged by one collector or the other');
    const { items } = await readAll(b.base, READ_KEY, { limit: 10000 });
    const count = new Map();
    for (const i of items) count.set(i.id, (count.get(i.id) || 0) + 1);
    for (const id of acked) assert.equal(count.get(id), 1, `${id} stored once`);
    // A fresh collector takes A's place with nothing to recover: the state is in the database.
    a = await startCollector({ db: pg.url, args: collectorArgs });
    assert.deepEqual(await readAll(a.base, READ_KEY, { limit: 10000 }), await readAll(b.base, READ_KEY, { limit: 10000 }));
  });

  test('the database goes away: writes 503 with Retry-After; it comes back: writes and streams recover', async () => {
    const s = openStream(b.base, (await readAll(b.base, READ_KEY, { limit: 10000 })).cursor);
    await sleep(200);
    await pg.stop('fast');
    let refused;
    for (let i = 0; i < 3; i++) {
      refused = await post(a.base, answer());
      assert.equal(refused.status, 503);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1, 'Retry-After');
    }
    assert.equal(refused.json.errors[0].code, 'unavailable');
    const reads = await fetch(`${a.base}/v1/responses`, { headers: { Authorization: `Bearer ${READ_KEY}` } });
    assert.equal(reads.status, 503);
    await pg.start();
    const x = answer();
    await waitFor(async () => (await post(a.base, x)).status === 202, 10000, 'a write acknowledged after the restart');
    assert.ok((await readAll(b.base, READ_KEY, { limit: 10000 })).items.some((i) => i.id === x.id));
    await waitFor(() => s.arrivals.has(x.id), 3000, 'the stream on the other collector carries it');
    await s.close();
  });
});

describe('PostgreSQL: bad --db URLs', { skip: missing || false }, () => {
  test('an unparsable URL: exit 2 and a sentence naming --db, never the password', async () => {
    for (const url of ['postgresql://user:s3cret@[::1/db', 'postgresql://localhost/db?nosuchoption=1']) {
      const r = await runToExit(collectorBinary, ['--port', '0', '--db', url]);
      assert.equal(r.code, 2, url);
      assert.match(r.stderr, /--db is not a valid PostgreSQL URL/);
      assert.ok(!r.stderr.includes('s3cret'), r.stderr);
    }
  });

  test('a URL nobody answers, or a bad port: exit 1 with "cannot open the database"', async () => {
    for (const url of ['postgresql://postgres:s3cret@127.0.0.1:1/postgres', 'postgresql://postgres@127.0.0.1:99999/postgres']) {
      const r = await runToExit(collectorBinary, ['--port', '0', '--db', url], { timeoutMs: 15000 });
      assert.equal(r.code, 1, url);
      const line = r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.msg === 'cannot open the database');
      assert.ok(line, r.stderr);
      assert.match(line.error, /PostgreSQL/);
      assert.ok(!r.stderr.includes('s3cret'), r.stderr);
    }
  });

  test('NPSKIT_DB selects PostgreSQL too', async () => {
    process.env.NPSKIT_DB = 'postgresql://localhost/db?nosuchoption=1';
    try {
      const r = await runToExit(collectorBinary, ['--port', '0'], { timeoutMs: 15000 });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--db is not a valid PostgreSQL URL/);
    } finally {
      delete process.env.NPSKIT_DB;
    }
  });
});
