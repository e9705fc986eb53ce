// The storage contract (src/collector/storage.h), one suite run through the real collector
// against each backend: SQLite (a file) and PostgreSQL (a throwaway cluster, tests/tools/pg-cluster.mjs).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startCollector, answer, post, readAll, tempDir, removeDir, READ_KEY } from './collector-harness.mjs';
import { startPgCluster, pgMissing } from '../tools/pg-cluster.mjs';

const isoSeconds = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const missing = pgMissing();
if (missing) console.log(`# storage-contract: PostgreSQL cases skipped: ${missing}`);

const backends = [
  { name: 'sqlite', async open() { const dir = tempDir(); return { db: path.join(dir, 'npskit.db'), close: async () => removeDir(dir) }; } },
  { name: 'postgresql', skip: missing, async open() { const pg = await startPgCluster({ fsync: false }); return { db: pg.url, pg, close: () => pg.destroy() }; } },
];

for (const backend of backends) {
  describe(`storage contract: ${backend.name}`, { skip: backend.skip || false }, () => {
    let store, c;
    const start = () => startCollector({ db: store.db, args: ['--rate', '0', '--quiet'] });
    before(async () => { store = await backend.open(); c = await start(); });
    after(async () => { await c?.stop(); await store?.close(); });

    const rowsOf = async (id) => (await readAll(c.base, READ_KEY, { limit: 10000 })).items.filter((i) => i.id === id);
    // Cursor order and uniqueness of the whole table, through the pages a client reads.
    async function wholeFeed(limit = 1000) {
      const seen = [];
      let since = 0;
      for (;;) {
        const res = await fetch(`${c.base}/v1/responses?since=${since}&limit=${limit}`, { headers: { Authorization: `Bearer ${READ_KEY}` } });
        assert.equal(res.status, 200);
        const page = await res.json();
        if (page.items.length === 0) return { seen, next: Number(page.next) };
        seen.push(...page.items.map((it) => it.id));
        assert.ok(Number(page.next) > since, 'the cursor grows page to page');
        since = page.next;
      }
    }

    test('insert: 202, then readable, the cursor above 0', async () => {
      const a = answer({ ts: isoSeconds(Date.now() - 1000) });
      assert.equal((await post(c.base, a)).status, 202);
      const { items, cursor } = await readAll(c.base, READ_KEY);
      assert.ok(items.some((i) => i.id === a.id && i.score === 9));
      assert.ok(cursor > 0);
      assert.equal((await (await fetch(`${c.base}/healthz`)).json()).cursor, cursor);
    });

    test('replay: the same record again is a 202 and writes nothing (no new cursor)', async () => {
      const a = answer({ ts: isoSeconds(Date.now() - 1000) });
      assert.equal((await post(c.base, a)).status, 202);
      const { cursor } = await readAll(c.base, READ_KEY);
      for (let i = 0; i < 3; i++) assert.equal((await post(c.base, a)).status, 202);
      assert.equal((await readAll(c.base, READ_KEY, { since: cursor })).items.length, 0);
      assert.equal((await rowsOf(a.id)).length, 1);
    });

    test('merge: a follow-up adds fields, keeps the first ts, moves the row to a new cursor', async () => {
      const a = answer({ score: 3, ts: isoSeconds(Date.now() - 3600 * 1000), attributes: { plan: 'free' } });
      assert.equal((await post(c.base, a)).status, 202);
      const { cursor } = await readAll(c.base, READ_KEY);
      const follow = { id: a.id, v: 1, survey: a.survey, score: 3, ts: isoSeconds(Date.now()), comment: 'slow', attributes: { seats: '2' } };
      assert.equal((await post(c.base, follow)).status, 202);
      const after = await readAll(c.base, READ_KEY, { since: cursor });
      assert.deepEqual(after.items.map((i) => i.id), [a.id]);
      const [row] = await rowsOf(a.id);
      assert.equal(row.comment, 'slow');
      assert.equal(row.ts, a.ts);
      assert.deepEqual(row.attributes, { plan: 'free', seats: '2' });
    });

    test('merge: a thank-you click (cta_clicked) is stored with the comment kept, and replaced by a later one', async () => {
      const a = answer({ score: 8, ts: isoSeconds(Date.now() - 60 * 1000) });
      assert.equal((await post(c.base, a)).status, 202);
      assert.equal((await post(c.base, { ...a, comment: 'needs exports' })).status, 202);
      assert.equal((await post(c.base, { ...a, comment: 'needs exports', cta_clicked: 'passive' })).status, 202);
      let [row] = await rowsOf(a.id);
      assert.equal(row.cta_clicked, 'passive');
      assert.equal(row.comment, 'needs exports');
      assert.equal(row.score, 8);
      // A later update without the field keeps it; a bad value is refused whole (schema v1).
      assert.equal((await post(c.base, { ...a, comment: 'needs CSV exports' })).status, 202);
      [row] = await rowsOf(a.id);
      assert.equal(row.cta_clicked, 'passive');
      assert.equal(row.comment, 'needs CSV exports');
      const bad = await post(c.base, { ...a, cta_clicked: 'x'.repeat(257) });
      assert.equal(bad.status, 400);
      assert.equal((await rowsOf(a.id))[0].cta_clicked, 'passive');
      // A later click (another value) replaces it: the follow-up's last write wins.
      assert.equal((await post(c.base, { ...a, cta_clicked: 'offer-b' })).status, 202);
      [row] = await rowsOf(a.id);
      assert.equal(row.cta_clicked, 'offer-b');
      assert.equal(row.comment, 'needs CSV exports');
    });

    test('conflict: a new score is a 409 naming the field; the row is unchanged', async () => {
      const a = answer({ score: 7, ts: isoSeconds(Date.now() - 5000) });
      assert.equal((await post(c.base, a)).status, 202);
      const { cursor } = await readAll(c.base, READ_KEY);
      const r = await post(c.base, { ...a, score: 1 });
      assert.equal(r.status, 409);
      assert.deepEqual(r.json.errors.map((e) => [e.code, e.field]), [['conflict', 'score']]);
      const late = answer({ score: 9, ts: isoSeconds(Date.now() - 25 * 3600 * 1000) });
      assert.equal((await post(c.base, late)).status, 202);
      const lateCursor = (await readAll(c.base, READ_KEY)).cursor;
      assert.equal((await post(c.base, { ...late, comment: 'too late' })).status, 409);
      assert.equal((await readAll(c.base, READ_KEY, { since: lateCursor })).items.length, 0);
      assert.equal((await rowsOf(a.id))[0].score, 7);
      assert.ok(cursor < lateCursor);
    });

    test('one batch: concurrent follow-ups of one id and new ids; each row once, at its latest cursor', async () => {
      const base = answer({ score: 5, ts: isoSeconds(Date.now() - 60000) });
      assert.equal((await post(c.base, base)).status, 202);
      const { cursor } = await readAll(c.base, READ_KEY);
      const fresh = Array.from({ length: 60 }, () => answer({ ts: isoSeconds(Date.now() - 2000) }));
      const comments = Array.from({ length: 20 }, (_, i) => `comment ${i}`);
      const statuses = await Promise.all([
        ...fresh.map((a) => post(c.base, a).then((r) => r.status)),
        ...comments.map((t) => post(c.base, { ...base, comment: t }).then((r) => r.status)),
        post(c.base, { ...base, score: 0 }).then((r) => r.status),  // a conflict inside the batch
      ]);
      assert.deepEqual(statuses.slice(0, 80), Array(80).fill(202));
      assert.equal(statuses[80], 409);
      const after = await readAll(c.base, READ_KEY, { since: cursor, limit: 7 });
      const ids = after.items.map((i) => i.id);
      assert.equal(new Set(ids).size, ids.length, 'each row once');
      assert.deepEqual(new Set(ids), new Set([base.id, ...fresh.map((a) => a.id)]));
      const [row] = await rowsOf(base.id);
      assert.ok(comments.includes(row.comment));
      assert.equal(row.score, 5);
    });

    // PostgreSQL writes a batch of new ids in one round trip and sends a batch holding a stored id
    // back to the merge path (pg_storage.cpp write_new): bursts mixing them must still count
    // each answer by its real outcome and each row once in the rollups.
    test('bursts of new ids mixed with follow-ups and replays of stored ones: right outcomes, rollups count each row once', async () => {
      const auth = { Authorization: `Bearer ${READ_KEY}` };
      const outcomes = async () => {
        const text = await fetch(`${c.base}/metrics`, { headers: auth }).then((r) => r.text());
        const n = (o) => Number((new RegExp(`^npskit_answers_total\\{outcome="${o}"\\} (\\d+)`, 'm').exec(text) || [])[1]);
        return { inserted: n('inserted'), updated: n('updated'), unchanged: n('unchanged') };
      };
      const byPlan = async () => {
        const agg = await (await fetch(`${c.base}/v1/aggregate?by=plan`, { headers: auth })).json();
        return Object.fromEntries(agg.groups.map((g) => [g.key, g.histogram.reduce((x, y) => x + y, 0)]));
      };
      const ts = isoSeconds(Date.now() - 4000);
      const stored = Array.from({ length: 10 }, (_, i) => answer({ score: i, ts, attributes: { plan: 'burst-stored' } }));
      for (const a of stored) assert.equal((await post(c.base, a)).status, 202);
      const plansBefore = await byPlan();
      const before = await outcomes();
      const fresh = Array.from({ length: 90 }, (_, i) => answer({ score: i % 11, ts, attributes: { plan: 'burst-new' } }));
      for (let round = 0; round < 3; round++) {
        const statuses = await Promise.all([
          ...fresh.slice(round * 30, round * 30 + 30).map((a) => post(c.base, a).then((r) => r.status)),
          ...stored.map((a) => post(c.base, { ...a, comment: `round ${round}` }).then((r) => r.status)),  // updated
          ...stored.map((a) => post(c.base, a).then((r) => r.status)),  // merges to the stored row: unchanged
        ]);
        assert.deepEqual(statuses, Array(50).fill(202));
      }
      const after = await outcomes();
      assert.deepEqual({ inserted: after.inserted - before.inserted, updated: after.updated - before.updated, unchanged: after.unchanged - before.unchanged },
        { inserted: 90, updated: 30, unchanged: 30 });
      const plans = await byPlan();
      assert.equal(plans['burst-new'], 90);
      assert.equal(plans['burst-stored'], 10);
      assert.equal(plansBefore['burst-stored'], 10);
      const { seen } = await wholeFeed();
      assert.equal(new Set(seen).size, seen.length, 'each row once');
      for (const a of [...stored, ...fresh]) assert.ok(seen.includes(a.id), a.id);
      for (const a of stored) assert.equal((await rowsOf(a.id))[0].comment, 'round 2');
    });

    test('read_since: pages of 7 give every row once, in cursor order, like one page of 1000', async () => {
      for (let i = 0; i < 25; i++) assert.equal((await post(c.base, answer({ ts: isoSeconds(Date.now() - 1000) }))).status, 202);
      const paged = await wholeFeed(7);
      const whole = await wholeFeed(1000);
      assert.deepEqual(paged.seen, whole.seen);
      assert.equal(new Set(whole.seen).size, whole.seen.length);
      assert.equal(paged.next, whole.next);
      // The aggregate sees what the feed holds (the collector's mirror catches up from storage).
      const agg = await (await fetch(`${c.base}/v1/aggregate?by=week`, { headers: { Authorization: `Bearer ${READ_KEY}` } })).json();
      assert.equal(agg.total.histogram.reduce((s, x) => s + x, 0), whole.seen.length);
    });

    test('restart keeps the rows and the cursor goes on growing', async () => {
      const before = await wholeFeed();
      await c.stop();
      c = await start();
      const again = await wholeFeed();
      assert.deepEqual(again, before);
      assert.equal((await post(c.base, answer())).status, 202);
      const { cursor } = await readAll(c.base, READ_KEY);
      assert.ok(cursor > before.next);
      // responses (1), the comments full-text index (2), follow-up statuses (3), histogram rollups (4), survey_versions (5), the webhook outbox (6), daily rollups (7)
      if (store.pg) assert.equal(await store.pg.sql('SELECT max(version) FROM npskit_migrations'), '8');
    });
  });
}
