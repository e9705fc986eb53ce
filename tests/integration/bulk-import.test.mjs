// The bulk load path (`npskit-collector --db DB --import FILE`, src/collector/bulk_import.h),
// on both backends: a generated file (answers and display events) imported, then every
// /v1/aggregate shape equals `npskit score` on that file; a second import changes nothing (no
// cursor, no count); an overlapping file with follow-up updates moves the counts as the HTTP
// path would, and a conflicting line is refused by number; bad lines are named by number and
// the rest is loaded; /v1/responses and /v1/stream carry each imported row once, in cursor
// order (on PostgreSQL the stream runs on a collector serving while the import commits).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  startCollector, readAll, readSseEvents, tempDir, removeDir, runToExit, waitFor, cliBinary, collectorBinary, READ_KEY,
} from './collector-harness.mjs';
import { aggregateCases, compareAggregates } from './aggregate-cases.mjs';
import { startPgCluster, pgMissing } from '../tools/pg-cluster.mjs';

const missing = pgMissing();
if (missing) console.log(`# bulk-import: PostgreSQL cases skipped: ${missing}`);
const backends = [
  { name: 'sqlite', async open() { const dir = tempDir(); return { db: path.join(dir, 'npskit.db'), close: async () => removeDir(dir) }; } },
  { name: 'postgresql', skip: missing, async open() { const pg = await startPgCluster({ fsync: false }); return { db: pg.url, pg, close: () => pg.destroy() }; } },
];

async function importFile(db, file) {
  const r = await runToExit(collectorBinary, ['--db', db, '--import', file], { timeoutMs: 60000 });
  const summary = JSON.parse(r.stdout.trim().split('\n').pop());
  return { ...r, summary };
}

const toNdjson = (records) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
const auth = { Authorization: `Bearer ${READ_KEY}` };

// Answers within the follow-up window (24 h by the collector's clock), so a later file may update them.
function recentAnswers(prefix, n, now) {
  const plans = ['free', 'pro', 'team'];
  return Array.from({ length: n }, (_, i) => ({
    v: 1, id: `${prefix}${String(i).padStart(5, '0')}`, survey: i % 3 ? 'product-nps' : 'onboarding-nps', score: (i * 7) % 11,
    ts: new Date(now - 60e3 - ((i * 7919) % (20 * 3600e3))).toISOString(), locale: i % 4 ? 'en-US' : 'fr-FR',
    trigger: 'session_30min', attributes: { plan: plans[i % 3], country: i % 5 ? 'US' : 'FR' },
  }));
}

// The recent-data shapes (the 2025 ranges of aggregateCases are empty for them).
const recentCases = (now) => {
  const since = new Date(now - 10 * 3600e3).toISOString().slice(0, 13) + ':20:00Z';
  return [
    ...aggregateCases.filter(([qs]) => !/since|until/.test(qs)),
    [`by=plan&since=${since}`, ['--by', 'plan', '--since', since]],
    [`by=day&tz=%2B05:30&since=${since}`, ['--by', 'day', '--tz', '+05:30', '--since', since]],
  ];
};

for (const backend of backends) {
  describe(`bulk import: ${backend.name}`, { skip: backend.skip || false }, () => {
    let store, c, dir;
    const start = async () => { c = await startCollector({ db: store.db, args: ['--rate', '0', '--quiet'] }); };
    // SQLite: one process owns the file, so the import runs with the collector stopped (docs/deploy.md).
    const stopForSqlite = async () => { if (!store.pg) { await c?.stop(); c = null; } };
    const startForSqlite = async () => { if (!store.pg) await start(); };
    before(async () => { store = await backend.open(); dir = tempDir('npskit-bulk-'); });
    after(async () => { await c?.stop(); await store?.close(); removeDir(dir); });

    test('a generated file: aggregates equal the CLI; a re-import changes nothing', { timeout: 60000 }, async () => {
      const file = path.join(dir, 'generated.ndjson');
      const gen = spawnSync(cliBinary, ['generate', '--rows', '2500', '--seed', '9'], { maxBuffer: 1 << 28 });
      assert.equal(gen.status, 0, String(gen.stderr));
      writeFileSync(file, gen.stdout);
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      const types = new Set(lines.map((l) => JSON.parse(l).type ?? 'response'));
      assert.deepEqual([...types].sort(), ['dismissed', 'response', 'shown'], 'generate makes display events');

      const first = await importFile(store.db, file);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.summary.inserted, lines.length);
      assert.equal(first.summary.last_cursor, lines.length);
      await start();
      const before = await compareAggregates(c.base, file);
      const rows = await readAll(c.base, READ_KEY, { limit: 10000 });
      assert.equal(rows.items.length, lines.length);

      await stopForSqlite();
      const again = await importFile(store.db, file);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual([again.summary.inserted, again.summary.updated, again.summary.unchanged], [0, 0, lines.length]);
      assert.equal(again.summary.last_cursor, lines.length, 'no cursor taken');
      await startForSqlite();
      const after = await compareAggregates(c.base, file);
      assert.deepEqual(after, before, 'every aggregate as before');
      const rowsAfter = await readAll(c.base, READ_KEY, { limit: 10000 });
      assert.equal(rowsAfter.cursor, rows.cursor);
      assert.equal(rowsAfter.items.length, lines.length);
      if (store.pg) assert.equal(await store.pg.sql('SELECT SUM(n) FROM rollup_half_scores'), String(lines.length));
    });

    test('an overlapping file with updates moves the counts; a conflict and bad lines are named by number', { timeout: 60000 }, async () => {
      const now = Date.now();
      const a = recentAnswers('bulk_a', 600, now);
      // B: the widget's follow-ups for 300 of A's answers (whole records again), 300 new ones,
      // one conflicting line (a score cannot change), and bad lines.
      const updates = a.slice(0, 300).map((r, i) => {
        const u = structuredClone(r);
        if (i % 3 === 0) u.comment = `later ${i}`;
        if (i % 3 === 1) { u.attributes.plan = u.attributes.plan === 'pro' ? 'team' : 'pro'; u.contact_ok = true; }
        if (i % 3 === 2) u.attributes.seats = String(i % 4);  // an attribute added
        return u;
      });
      const fresh = recentAnswers('bulk_b', 300, now);
      const conflict = { ...structuredClone(a[400]), score: (a[400].score + 1) % 11 };
      const bLines = [...updates, ...fresh].map((r) => JSON.stringify(r));
      bLines.splice(10, 0, JSON.stringify(conflict));            // line 11
      bLines.splice(20, 0, '{"v":1,"id":"broken",');             // line 21: not JSON
      bLines.splice(30, 0, JSON.stringify({ ...fresh[0], id: 'bad_score', score: 11 }));  // line 31
      bLines.splice(40, 0, '');                                  // line 41: blank, skipped
      const fileA = path.join(dir, 'a.ndjson'), fileB = path.join(dir, 'b.ndjson');
      writeFileSync(fileA, toNdjson(a));
      writeFileSync(fileB, bLines.join('\n') + '\n');

      await stopForSqlite();
      const ra = await importFile(store.db, fileA);
      assert.equal(ra.code, 0, ra.stderr);
      assert.equal(ra.summary.inserted, 600);
      const rb = await importFile(store.db, fileB);
      assert.equal(rb.code, 1, 'refused lines make the exit status 1');
      assert.match(rb.stderr, /line 11: id bulk_a00400: conflict: score/);
      assert.match(rb.stderr, /line 21: .*not valid JSON/);
      assert.match(rb.stderr, /line 31: score/);
      assert.doesNotMatch(rb.stderr, /line 41/);
      assert.deepEqual([rb.summary.inserted, rb.summary.updated, rb.summary.conflicts, rb.summary.invalid], [300, 300, 1, 2]);
      await startForSqlite();

      // What the rows must be now: A, with B's follow-ups merged (whole records: B's version), and B's new ones.
      const expected = [...updates, ...a.slice(300), ...fresh];
      const expectedFile = path.join(dir, 'expected.ndjson');
      writeFileSync(expectedFile, toNdjson(expected));
      const { items } = await readAll(c.base, READ_KEY, { since: 0, limit: 10000 });
      const ours = new Map(items.filter((i) => i.id.startsWith('bulk_')).map((i) => [i.id, i]));
      assert.equal(ours.size, 900);
      assert.equal(ours.get('bulk_a00400').score, a[400].score, 'the conflicting line changed nothing');
      assert.equal(ours.get('bulk_a00002').attributes.seats, '2');
      assert.equal(ours.get('bulk_a00000').comment, 'later 0');
      // Only the recent rows, scored: the generated 2025 rows are filtered out by survey time.
      const recentOnly = `since=${new Date(now - 21 * 3600e3 - 120e3).toISOString()}`;
      const cases = recentCases(now).map(([qs, args]) => [qs.includes('since=') ? qs : `${qs}&${recentOnly}`,
        args.includes('--since') ? args : [...args, '--since', new Date(now - 21 * 3600e3 - 120e3).toISOString()]]);
      await compareAggregates(c.base, expectedFile, cases);
    });

    test('the stream and read_since carry each imported row once, in cursor order', { timeout: 60000 }, async () => {
      const now = Date.now();
      const { cursor: since } = await readAll(c.base, READ_KEY, { limit: 10000 });
      const fresh = recentAnswers('bulk_s', 3000, now);
      // And follow-ups of rows already stored: each moves to a new cursor, once.
      const { items } = await readAll(c.base, READ_KEY, { limit: 10000 });
      const follow = items.filter((i) => i.id.startsWith('bulk_b')).slice(0, 200).map((r) => ({ ...r, comment: 'streamed follow-up' }));
      const file = path.join(dir, 'stream.ndjson');
      writeFileSync(file, toNdjson([...fresh.slice(0, 1500), ...follow, ...fresh.slice(1500)]));
      const want = new Set([...fresh.map((r) => r.id), ...follow.map((r) => r.id)]);

      let stream = null;
      const openStream = () => {
        const controller = new AbortController();
        const events = [];
        const done = (async () => {
          const res = await fetch(`${c.base}/v1/stream?since=${since}`, { headers: auth, signal: controller.signal });
          assert.equal(res.status, 200);
          await readSseEvents(res.body, (ev) => events.push({ cursor: ev.id, id: JSON.parse(ev.data).id }));
        })().catch((e) => { if (e.name !== 'AbortError') throw e; });
        return { events, close: async () => { controller.abort(); await done; } };
      };
      // PostgreSQL: the stream is open on a serving collector while the import commits (its
      // NOTIFY wakes the stream). SQLite: the collector restarts after it, the stream replays.
      if (store.pg) stream = openStream();
      await stopForSqlite();
      const r = await runToExit(collectorBinary, ['--db', store.db, '--import', file, '--import-batch', '500'], { timeoutMs: 60000 });
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout);
      assert.deepEqual([summary.inserted, summary.updated, summary.batches], [3000, 200, 7]);
      await startForSqlite();
      if (!stream) stream = openStream();
      await waitFor(() => stream.events.length >= want.size, 20000, `${want.size} stream events (got ${stream.events.length})`);
      await new Promise((res) => setTimeout(res, 300));  // anything extra would arrive now
      await stream.close();
      for (const { events, what } of [
        { events: stream.events, what: 'stream' },
        { events: (await readAll(c.base, READ_KEY, { since, limit: 700 })).items.map((i) => ({ id: i.id })), what: 'read_since' },
      ]) {
        const ids = events.map((e) => e.id);
        assert.equal(ids.length, want.size, `${what}: each row once`);
        assert.equal(new Set(ids).size, ids.length, `${what}: no row twice`);
        for (const id of ids) assert.ok(want.has(id), `${what}: ${id} was imported`);
      }
      const cursors = stream.events.map((e) => e.cursor);
      for (let i = 1; i < cursors.length; i++) assert.ok(cursors[i] > cursors[i - 1], 'cursor order');
      assert.equal(cursors.at(-1), summary.last_cursor);
    });

    test('--import - reads stdin', { timeout: 30000 }, async () => {
      const records = recentAnswers('bulk_stdin', 25, Date.now());
      await stopForSqlite();
      const r = spawnSync(collectorBinary, ['--db', store.db, '--import', '-'], { input: toNdjson(records) + 'oops\n', encoding: 'utf8', timeout: 30000 });
      await startForSqlite();
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /line 26: /);
      const summary = JSON.parse(r.stdout);
      assert.deepEqual([summary.lines, summary.inserted, summary.invalid], [26, 25, 1]);
      const { items } = await readAll(c.base, READ_KEY, { since: summary.last_cursor - 25, limit: 100 });
      assert.deepEqual(items.map((i) => i.id), records.map((x) => x.id));
    });
  });
}
