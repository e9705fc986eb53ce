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
import { startCollector, post, readAll, tempDir, removeDir, READ_KEY } from './collector-harness.mjs';

const ADMIN_KEY = 'rollups-admin-key-0123';
import { startPgCluster, pgMissing } from '../tools/pg-cluster.mjs';
import { casesFor, compareAggregates } from './aggregate-cases.mjs';

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

// The shapes for this data: plan, region (apac after an update), seats (added by an update).
const cases = casesFor({ key: 'region', value: 'apac', locales: 'fr|de', survey: 'app', more: ['seats'] });
const compareAll = (c, file) => compareAggregates(c.base, file, cases, { checkNotes: true });

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
