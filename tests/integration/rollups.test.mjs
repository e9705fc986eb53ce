// Histogram rollups (src/collector/rollups.h): /v1/aggregate answered from the rollup tables
// equals the CLI scoring the rows read back from /v1/responses, on both backends, after
// inserts, display events and follow-up updates (a later comment, contact_ok set, an attribute
// added, an attribute changed), for every `by`, since/until, tz, where and segment; and again
// after a restart. Filters a rollup cannot answer (a zone of quarter hours by day over a year,
// a `!=` condition) go to the rows and must agree too.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startCollector, post, readAll, tempDir, removeDir, runToExit, cliBinary, READ_KEY } from './collector-harness.mjs';

const ADMIN_KEY = 'rollups-admin-key-0123';
import { startPgCluster, pgMissing } from '../tools/pg-cluster.mjs';

const missing = pgMissing();
if (missing) console.log(`# rollups: PostgreSQL cases skipped: ${missing}`);
const backends = [
  { name: 'sqlite', async open() { const dir = tempDir(); return { db: path.join(dir, 'npskit.db'), close: async () => removeDir(dir) }; } },
  { name: 'postgresql', skip: missing, async open() { const pg = await startPgCluster({ fsync: false }); return { db: pg.url, pg, close: () => pg.destroy() }; } },
];

// Deterministic data: a small LCG, so a failure repeats.
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const isoSeconds = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const pick = (r, list) => list[Math.floor(r() * list.length)];

function dataset() {
  const r = rng(14);
  // Two years: a trend by day in another zone over all of it has more days to split than the
  // collector reads one by one (split_days_max), so SQL folds its half hours (both paths run).
  const old = Date.parse('2024-01-01T00:00:00Z'), span = 731 * 86400e3;
  const now = Date.now();
  const records = [];
  for (let i = 0; i < 2400; i++) {
    // The last 400 within the follow-up window (24 h), so that they can be updated.
    const ts = i < 2000 ? old + Math.floor(r() * span) : now - Math.floor(r() * 20 * 3600e3) - 60e3;
    const rec = { v: 1, id: `roll_${String(i).padStart(6, '0')}`, survey: pick(r, ['app', 'web']), score: Math.floor(r() * 11), ts: isoSeconds(ts),
      locale: pick(r, ['en', 'fr', 'de']), trigger: pick(r, ['login', 'checkout']), attributes: { plan: pick(r, ['free', 'pro', 'team']) } };
    if (r() < 0.3) rec.attributes.region = pick(r, ['eu', 'us']);
    records.push(rec);
  }
  for (let i = 0; i < 300; i++)
    records.push({ v: 1, id: `disp_${String(i).padStart(6, '0')}`, survey: pick(r, ['app', 'web']), type: r() < 0.7 ? 'shown' : 'dismissed',
      ts: isoSeconds(old + Math.floor(r() * span)), locale: pick(r, ['en', 'fr']) });
  // Follow-ups on the recent answers: each re-sends the whole record as the widget does.
  const updates = [];
  for (let i = 2000; i < 2400; i++) {
    const base = structuredClone(records[i]);
    const kind = i % 4;
    if (kind === 0) base.comment = `later comment ${i}`;
    if (kind === 1) { base.contact_ok = true; base.attributes.seats = String(i % 7); }  // an attribute added
    if (kind === 2) base.attributes.plan = base.attributes.plan === 'pro' ? 'team' : 'pro';  // an attribute changed
    if (kind === 3) { base.attributes.region = 'apac'; base.comment = 'moved'; }
    updates.push(base);
  }
  return { records, updates };
}

async function postAll(base, list) {
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const rec = list[next++];
      const res = await post(base, rec);
      assert.equal(res.status, 202, `${rec.id}: ${res.status} ${JSON.stringify(res.body ?? '')}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

// Each case: the aggregate's query string and the CLI's arguments for the same question.
const cases = [
  ['by=day', ['--by', 'day']],
  ['by=week', ['--by', 'week']],
  ['by=month', ['--by', 'month']],
  ['by=plan', ['--by', 'plan']],
  ['by=region', ['--by', 'region']],
  ['by=seats', ['--by', 'seats']],
  ['by=survey', ['--by', 'survey']],
  ['by=locale', ['--by', 'locale']],
  ['by=week&since=2025-03-01&until=2025-08-31', ['--by', 'week', '--since', '2025-03-01', '--until', '2025-08-31']],
  // Bounds on hours inside days: whole days from the daily tables, the edge half hours from the half-hour ones.
  ['by=week&since=2025-03-01T05:00:00Z&until=2025-08-31T17:00:00Z', ['--by', 'week', '--since', '2025-03-01T05:00:00Z', '--until', '2025-08-31T17:00:00Z']],
  ['by=plan&since=2025-02-01T13:00:00Z&until=2025-06-02T09:00:00Z', ['--by', 'plan', '--since', '2025-02-01T13:00:00Z', '--until', '2025-06-02T09:00:00Z']],
  ['by=survey&since=2025-05-01T13:00:00Z&until=2025-05-02T09:00:00Z', ['--by', 'survey', '--since', '2025-05-01T13:00:00Z', '--until', '2025-05-02T09:00:00Z']],
  ['by=day&tz=-03:00', ['--by', 'day', '--tz', '-03:00']],
  ['by=day&tz=%2B05:30', ['--by', 'day', '--tz', '+05:30']],
  // Other zones from the daily tables, the half hours of a bucket's first day moved (a year by
  // day has too many such days: half hours folded by SQL, the cases above).
  ['by=week&tz=-03:00', ['--by', 'week', '--tz', '-03:00']],
  ['by=month&tz=%2B09:00', ['--by', 'month', '--tz', '+09:00']],
  ['by=day&tz=%2B02:00&since=2025-05-01T07:00:00Z&until=2025-05-20', ['--by', 'day', '--tz', '+02:00', '--since', '2025-05-01T07:00:00Z', '--until', '2025-05-20']],
  ['by=day&tz=-07:00&since=2025-04-01&until=2025-04-15T03:00:00Z', ['--by', 'day', '--tz', '-07:00', '--since', '2025-04-01', '--until', '2025-04-15T03:00:00Z']],
  ['by=month&tz=-05:00&where=plan%3Dpro', ['--by', 'month', '--tz', '-05:00', '--where', 'plan=pro']],
  // Half-hour zones: their days start on half-hour cells (a year by day too, above).
  ['by=week&tz=%2B05:30', ['--by', 'week', '--tz', '+05:30']],
  ['by=day&tz=-09:30', ['--by', 'day', '--tz', '-09:30']],
  ['by=month&tz=-03:30&where=region%3Dapac', ['--by', 'month', '--tz', '-03:30', '--where', 'region=apac']],
  ['by=day&tz=%2B05:30&since=2025-05-01&until=2025-05-20', ['--by', 'day', '--tz', '+05:30', '--since', '2025-05-01', '--until', '2025-05-20']],
  ['by=plan&tz=%2B05:30', ['--by', 'plan', '--tz', '+05:30']],
  // Zones of quarter hours (+05:45 Nepal, +12:45 Chatham): the rollups in the zone of whole half
  // hours just west, each bucket start's minutes from rows (at most 128 bucket starts).
  ['by=week&tz=%2B05:45&since=2025-06-01', ['--by', 'week', '--tz', '+05:45', '--since', '2025-06-01']],
  ['by=month&tz=%2B12:45&where=plan%3Dteam', ['--by', 'month', '--tz', '+12:45', '--where', 'plan=team']],
  ['by=day&tz=%2B05:45&since=2025-05-01&until=2025-05-20', ['--by', 'day', '--tz', '+05:45', '--since', '2025-05-01', '--until', '2025-05-20']],
  ['by=day&tz=%2B05:45', ['--by', 'day', '--tz', '+05:45']],
  // Bounds on half hours: whole cells, no rows.
  ['by=plan&since=2025-02-01T13:30:00Z&until=2025-06-02T09:30:00Z', ['--by', 'plan', '--since', '2025-02-01T13:30:00Z', '--until', '2025-06-02T09:30:00Z']],
  // Bounds inside half hours: whole cells from rollups, the parts of the edge half hours from rows.
  ['by=plan&since=2025-02-01T13:20:00Z&until=2025-06-02T09:45:00Z', ['--by', 'plan', '--since', '2025-02-01T13:20:00Z', '--until', '2025-06-02T09:45:00Z']],
  ['by=week&since=2025-03-01T05:10:00Z&until=2025-08-31T17:50:00Z', ['--by', 'week', '--since', '2025-03-01T05:10:00Z', '--until', '2025-08-31T17:50:00Z']],
  ['by=survey&since=2025-05-01T13:05:00Z&until=2025-05-01T13:55:00Z', ['--by', 'survey', '--since', '2025-05-01T13:05:00Z', '--until', '2025-05-01T13:55:00Z']],
  ['by=region&since=2025-05-01T13:05:00Z&until=2025-05-01T14:55:00Z', ['--by', 'region', '--since', '2025-05-01T13:05:00Z', '--until', '2025-05-01T14:55:00Z']],
  ['by=month&where=plan%3Dpro', ['--by', 'month', '--where', 'plan=pro']],
  ['by=plan&where=survey%3Dapp', ['--by', 'plan', '--where', 'survey=app']],
  ['by=survey&where=locale%3Dfr%7Cde', ['--by', 'survey', '--where', 'locale=fr|de']],
  ['by=week&segment=promoter', ['--by', 'week', '--segment', 'promoter']],
  ['by=region&where=plan!%3Dfree', ['--by', 'region', '--where', 'plan!=free']],
  ['by=month&where=region%3Dapac&segment=detractor,passive', ['--by', 'month', '--where', 'region=apac', '--segment', 'detractor,passive']],
];

async function compareAll(c, file) {
  const auth = { Authorization: `Bearer ${READ_KEY}` };
  for (const [qs, args] of cases) {
    const cli = await runToExit(cliBinary, ['score', ...args, file], { timeoutMs: 30000 });
    assert.equal(cli.code, 0, cli.stderr);
    const expected = JSON.parse(cli.stdout);
    const res = await fetch(`${c.base}/v1/aggregate?${qs}`, { headers: auth });
    assert.equal(res.status, 200, qs);
    const agg = await res.json();
    // Only what no rollup answers is scanned (and says so in a note): a quarter-hour zone by
    // day over more than 128 days, `!=`.
    const scanned = /by=day&tz=%2B05:45$|!%3D/.test(qs);
    assert.equal(typeof agg.note === 'string', scanned, `${qs}: ${scanned ? 'scanned' : 'from rollups'} (${agg.note})`);
    assert.deepEqual(agg.total.histogram, expected.histogram, `${qs}: total`);
    assert.equal(agg.total.shown, expected.shown ?? 0, `${qs}: shown`);
    assert.equal(agg.total.dismissed, expected.dismissed ?? 0, `${qs}: dismissed`);
    const nonEmpty = (g) => g.histogram.some((v) => v > 0);
    const ours = agg.groups.filter(nonEmpty).map((g) => [g.key, g.histogram]);
    const theirs = expected.groups.filter((g) => g.n > 0).map((g) => [g.key, g.histogram]);
    const sorted = (list) => (args.includes('day') || args.includes('week') || args.includes('month') ? list : [...list].sort());
    assert.deepEqual(sorted(ours), sorted(theirs), `${qs}: groups`);
    if (agg.groups.length > 1 && /by=(day|week|month)/.test(qs)) {
      // Time groups keep their gaps: consecutive buckets from the first to the last.
      const starts = agg.groups.map((g) => Date.parse(g.start));
      for (let i = 1; i < starts.length; i++) assert.ok(starts[i] > starts[i - 1], `${qs}: ordered`);
    }
  }
}

for (const backend of backends) {
  describe(`rollups: ${backend.name}`, { skip: backend.skip || false }, () => {
    let store, c, dir;
    const start = () => startCollector({ db: store.db, args: ['--rate', '0', '--quiet', '--admin-key', ADMIN_KEY] });
    before(async () => { store = await backend.open(); dir = tempDir('npskit-rollups-'); c = await start(); });
    after(async () => { await c?.stop(); await store?.close(); removeDir(dir); });

    test('every aggregate equals the CLI on the rows read back, after updates and after a restart', { timeout: 240000 }, async () => {
      const { records, updates } = dataset();
      await postAll(c.base, records);
      await postAll(c.base, updates);
      const { items } = await readAll(c.base, READ_KEY, { limit: 10000 });
      assert.equal(items.length, records.length);
      assert.ok(items.some((i) => i.attributes?.seats !== undefined), 'an added attribute is stored');
      const file = path.join(dir, 'rows.ndjson');
      writeFileSync(file, items.map((i) => JSON.stringify(i)).join('\n') + '\n');
      await compareAll(c, file);
      // The digest's open follow-up count comes from the follow-up cells, less the answers a
      // status closed: marks of each status on candidates and on answers off the list.
      const closed = new Set();
      for (const [i, status] of [[2003, 'resolved'], [2001, 'contacted'], [2002, 'todo'], [2005, 'resolved'], [2100, 'contacted'], [5, 'resolved'], [6, 'todo']]) {
        const res = await fetch(`${c.base}/v1/responses/${records[i].id}/follow-up`, { method: 'PATCH',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` }, body: JSON.stringify({ status, by: 'ana' }) });
        assert.equal(res.status, 200, `mark ${records[i].id}`);
        if (status !== 'todo') closed.add(records[i].id);
      }
      await checkOpen(c, items, closed);
      if (store.pg) {
        // The counts come from the tables the write path keeps: they hold every row once.
        assert.equal(await store.pg.sql('SELECT SUM(n) FROM rollup_half_scores'), String(records.length));
      }
      await c.stop();
      c = await start();
      await compareAll(c, file);
      // A database from before the half-hour cells (hourly rollups, and cells that no longer
      // match the rows, which the rebuild must not keep): opened, rebuilt from the rows.
      await c.stop();
      if (store.pg) {
        await store.pg.sql('DELETE FROM npskit_migrations WHERE version = 8; DROP TABLE rollup_half_scores; DROP TABLE rollup_half_attributes; ' +
          'CREATE TABLE rollup_scores (survey text, hour bigint, slot integer, n bigint); ' +
          'CREATE TABLE rollup_attributes (survey text, key text, value text, hour bigint, slot integer, n bigint)');
      } else {
        sqliteExec(store.db, "DELETE FROM meta WHERE key = 'rollup_halves'; INSERT INTO meta (key, value) VALUES ('rollups', '1'), ('rollup_days', '1'); " +
          'CREATE TABLE rollup_scores (survey TEXT, hour INTEGER, slot INTEGER, n INTEGER); UPDATE rollup_half_scores SET n = n + 3; ' +
          'UPDATE rollup_day_attributes SET n = n * 2;');
      }
      c = await start();
      await compareAll(c, file);
      await checkOpen(c, items, closed);
      if (store.pg) assert.equal(await store.pg.sql("SELECT to_regclass('rollup_scores') IS NULL"), 't');
      else assert.equal(sqliteExec(store.db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'rollup_scores'"), '0');
    });
  });
}

// The follow-up list's rule (src/core/view/followup.cpp follow_up_group_of), as the test's own
// oracle: detractors who opted in or commented, passives who commented, every promoter.
function onList(r) {
  if ((r.type ?? 'response') !== 'response') return false;
  const comment = typeof r.comment === 'string' && r.comment !== '';
  if (r.score <= 6) return r.contact_ok === true || comment;
  if (r.score <= 8) return comment;
  return true;
}
async function checkOpen(c, items, closed) {
  const want = items.filter((r) => onList(r) && !closed.has(r.id)).length;
  assert.ok(want > 500 && want < items.length, `a mixed list (${want} of ${items.length})`);
  const res = await fetch(`${c.base}/v1/digest?period=week`, { headers: { Authorization: `Bearer ${READ_KEY}` } });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).open_follow_ups, want, 'open follow-ups');
}

// SQL on a stopped collector's SQLite file, with whichever SQLite shell the machine has.
function sqliteExec(db, sql) {
  const r = existsSync('/usr/bin/sqlite3')
    ? spawnSync('/usr/bin/sqlite3', [db, sql], { encoding: 'utf8' })
    : spawnSync('python3', ['-c', 'import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nc.executescript(sys.argv[2]) if not sys.argv[2].startswith("SELECT") else print(c.execute(sys.argv[2]).fetchone()[0])\nc.commit()', db, sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}
