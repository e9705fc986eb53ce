// `npm run bench -- scale`: /v1/aggregate from the histogram rollups beside a raw GROUP BY scan
// over the same rows (same database, same run), on SQLite and PostgreSQL.
//   node bench/scale/aggregate.mjs [--rows 1000000] [--backends sqlite,postgresql] [--reps 7] [--compare OLD_BUILD_DIR]
//        [--load import|seed] [--file FILE.ndjson] [--end 2026-01-01] [--compare-load] [--db DB]
// Rows come from `npskit generate --rows N` (answers + display events; --file: that file
// instead) loaded with the collector's bulk path (`--import`, the default) or from the
// collector's own --seed-demo (`--load seed`, the HTTP write path's storage call). Either way the
// rollups are built by the storage as in production. --compare-load also loads the other way
// into a second database of the same backend and reports both rates (one run). --db: measure an
// already loaded database (SQLite path or postgresql:// URL; nothing loaded, nothing deleted).
// Each build is then started afresh on the loaded database, so "first" is the first aggregate
// after a start; --compare adds an older build's collector (old beside new, one run, same
// With --compare give --load seed: the older build then seeds (an import is the new build's).
// database). Prints a Markdown table and writes bench/results/scale.json.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPgCluster, pgMissing } from '../../tests/tools/pg-cluster.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const rows = Number(arg('rows', '1000000'));
const reps = Number(arg('reps', '7'));
const backends = arg('backends', 'sqlite,postgresql').split(',');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const collector = path.join(root, process.env.NPSKIT_BUILD_NATIVE || 'build-native', 'npskit-collector');
const compare = arg('compare', '');
const load = arg('load', 'import');
const givenFile = arg('file', '');
const givenDb = arg('db', '');
const compareLoad = process.argv.includes('--compare-load');
const cli = path.join(root, process.env.NPSKIT_BUILD_NATIVE || 'build-native', 'npskit');
// The data's end (exclusive): the month-long and since-a-minute queries sit inside the data.
const end = new Date(arg('end', load === 'seed' && !givenFile ? new Date().toISOString().slice(0, 10) : '2026-01-01'));
const monthStart = (back) => new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - back, 1)).toISOString().slice(0, 10);
const october = [monthStart(3), monthStart(2)];  // a whole month two to three months before the end
const sinceMinute = `${monthStart(6)}T10:20:00Z`;
const builds = [...(compare ? [['old', path.resolve(compare, 'npskit-collector')]] : []), ['new', collector]];
const KEY = 'bench-read-key-0123456';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function waitHealthy(base, ms) {
  const end = Date.now() + ms;
  for (;;) {
    try { if ((await fetch(`${base}/healthz`)).ok) return; } catch {}
    if (Date.now() > end) throw new Error('collector did not become healthy');
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function timeAggregate(base, qs) {
  const auth = { Authorization: `Bearer ${KEY}` };
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/aggregate?${qs}`, { headers: auth });
  const body = await res.json();
  const cold = performance.now() - t0;
  if (res.status !== 200) return { cold, warm: cold, status: res.status, code: body.errors?.[0]?.code };
  const warm = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await (await fetch(`${base}/v1/aggregate?${qs}`, { headers: auth })).json();
    warm.push(performance.now() - t);
  }
  return { cold, warm: median(warm) };
}

function timeSql(run, sql) {
  const times = [];
  for (let i = 0; i < Math.min(reps, 3); i++) {
    const t = performance.now();
    run(sql);
    times.push(performance.now() - t);
  }
  return median(times);
}

// One load of `rows` answers into `db` by `how`: seconds, records stored, records/s.
async function loadDb(how, db, file) {
  const t0 = performance.now();
  if (how === 'seed') {
    // Seeded by the first build (the old one with --compare): the new build's start then
    // includes any one-time migration of what the old one wrote.
    const seeding = start(builds[0][1], db, ['--seed-demo', String(rows)]);
    await waitHealthy(seeding.base, 3 * 3600e3);
    await stop(seeding);
  } else {
    const out = execFileSync(collector, ['--db', db, '--import', file], { maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
    const summary = JSON.parse(String(out).trim().split('\n').pop());
    if (summary.invalid || summary.msg !== 'imported') throw new Error(`import: ${String(out)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const records = Number(String(sqlRun(db)('SELECT COUNT(*) FROM responses')).trim().split('\n').filter(Boolean).pop());
  return { how, seconds, records, perSecond: records / seconds };
}
const sqlRun = (db) => (db.startsWith('postgres')
  ? (sql) => execFileSync('/usr/lib/postgresql/15/bin/psql', ['-X', '-q', '-At', '-d', db, '-c', sql], { maxBuffer: 1 << 26 })
  : (sql) => execFileSync('sqlite3', [db, sql], { maxBuffer: 1 << 26 }));
const start = (binary, db, extra) => {
  const port = 19000 + Math.floor(Math.random() * 500);
  const child = spawn(binary, ['--db', db, '--port', String(port), '--read-key', KEY, '--rate', '0', '--quiet', ...extra],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  return { base: `http://127.0.0.1:${port}`, child };
};
const stop = async (c) => { c.child.kill('SIGTERM'); await new Promise((r) => c.child.once('exit', r)); };

const results = [];
const work = mkdtempSync(path.join(os.tmpdir(), 'npskit-scale-data-'));
let file = givenFile;
if (!givenDb && (load === 'import' || compareLoad) && !file) {
  file = path.join(work, 'generated.ndjson');
  execFileSync('sh', ['-c', `"$0" generate --rows ${rows} --end ${end.toISOString().slice(0, 10)} > "$1"`, cli, file], { stdio: ['ignore', 'ignore', 'inherit'] });
}
for (const backend of givenDb ? [givenDb.startsWith('postgres') ? 'postgresql' : 'sqlite'] : backends) {
  if (!givenDb && backend === 'postgresql' && pgMissing()) { console.log(`# postgresql skipped: ${pgMissing()}`); continue; }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'npskit-scale-'));
  let pg = null, db = givenDb;
  if (givenDb) {} else if (backend === 'postgresql') { pg = await startPgCluster({ fsync: false }); db = pg.url; } else db = path.join(dir, 'scale.db');
  try {
    const loads = [];
    if (!givenDb) loads.push(await loadDb(load, db, file));
    if (compareLoad) {
      // The other path into a second database of the same backend, same answers count.
      let other;
      if (pg) { await pg.sql('CREATE DATABASE other'); other = pg.url.replace(/\/postgres$/, '/other'); } else other = path.join(dir, 'other.db');
      loads.push(await loadDb(load === 'seed' ? 'import' : 'seed', other, file));
    }
    for (const l of loads) console.log(JSON.stringify({ backend, load: l }));
    const loadSeconds = loads[0]?.seconds ?? 0;
    // A raw scan: the rows grouped by week and score, as the rollups' SQL would have to without them.
    const week = "SELECT (ts_ms / 604800000) AS w, score, count(*) FROM responses GROUP BY 1, 2";
    const run = sqlRun(db);
    const stored = Number(String(run('SELECT COUNT(*) FROM responses')).trim().split('\n').filter(Boolean).pop());
    const scan = timeSql(run, week);
    for (const [build, binary] of builds) {
      const c = start(binary, db, []);
      try {
        const t1 = performance.now();
        await waitHealthy(c.base, 10 * 60e3);
        const startSeconds = (performance.now() - t1) / 1000;
        const byWeek = await timeAggregate(c.base, 'by=week');
        const byMonthTz = await timeAggregate(c.base, 'by=month&tz=-03:00&since=2025-01-01');
        const bySurvey = await timeAggregate(c.base, 'by=survey');
        const byPlan = await timeAggregate(c.base, 'by=plan');
        const halfHour = await timeAggregate(c.base, 'by=day&tz=%2B05:30');
        // Another zone from the daily tables (bucket starts' hours moved), and a survey condition.
        const byWeekTz = await timeAggregate(c.base, 'by=week&tz=-03:00');
        const byDayTzMonth = await timeAggregate(c.base, `by=day&tz=-03:00&since=${october[0]}T03:00:00Z&until=${october[1]}T03:00:00Z`);
        const byPlanSurvey = await timeAggregate(c.base, 'by=plan&where=survey%3Dproduct-nps');
        // A half-hour zone (rollups + the half hour before each bucket start from rows), and a
        // since inside an hour (rollups + the rest of that hour from rows).
        const halfWeek = await timeAggregate(c.base, 'by=week&tz=%2B05:30');
        const halfDayMonth = await timeAggregate(c.base, `by=day&tz=%2B05:30&since=${october[0]}&until=${october[1]}`);
        const planSinceMinute = await timeAggregate(c.base, `by=plan&since=${sinceMinute}`);
        // A zone of quarter hours (rollups + the minutes before each bucket start from rows).
        const quarterWeek = await timeAggregate(c.base, 'by=week&tz=%2B05:45');
        const r = { backend, build, rows, stored, loads, loadSeconds, startSeconds, scanMs: scan, byWeek, byMonthTz, bySurvey, byPlan, halfHour, byWeekTz, byDayTzMonth, byPlanSurvey,
          halfWeek, halfDayMonth, planSinceMinute, quarterWeek };
        results.push(r);
        console.log(JSON.stringify(r));
      } finally {
        await stop(c);
      }
    }
  } finally {
    if (pg) await pg.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
rmSync(work, { recursive: true, force: true });
const ms = (t) => (t.status ? `${t.status} ${t.code}` : t.warm < 10 ? `${t.warm.toFixed(1)} ms` : `${t.warm.toFixed(0)} ms`);
console.log(`\n| backend | build | rows stored | load (${givenDb ? 'given' : load}) | start | raw GROUP BY scan | by=week first after start | by=week | by=month&tz=-03:00&since | by=survey | by=plan | by=day&tz=+05:30 | by=week&tz=-03:00 | by=day&tz=-03:00, ${october[0]} month | by=plan&where=survey=product-nps | by=week&tz=+05:30 | by=day&tz=+05:30, one month | by=plan&since=${sinceMinute} | by=week&tz=+05:45 |`);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results)
  console.log(`| ${r.backend} | ${r.build} | ${r.stored.toLocaleString('en')} | ${r.loadSeconds.toFixed(0)} s | ${r.startSeconds.toFixed(1)} s | ${r.scanMs.toFixed(0)} ms | ` +
    `${r.byWeek.cold.toFixed(0)} ms | ${ms(r.byWeek)} | ${ms(r.byMonthTz)} | ${ms(r.bySurvey)} | ${ms(r.byPlan)} | ${ms(r.halfHour)} | ` +
    `${ms(r.byWeekTz)} | ${ms(r.byDayTzMonth)} | ${ms(r.byPlanSurvey)} | ${ms(r.halfWeek)} | ${ms(r.halfDayMonth)} | ${ms(r.planSinceMinute)} | ${ms(r.quarterWeek)} |`);
for (const r of results) for (const l of r.loads ?? []) if (r.build === 'new')
  console.log(`\nload ${r.backend} ${l.how === 'seed' ? '--seed-demo' : '--import'}: ${l.records.toLocaleString('en')} records in ${l.seconds.toFixed(1)} s = ${Math.round(l.perSecond).toLocaleString('en')} records/s`);
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/scale.json'), JSON.stringify(results, null, 2) + '\n');
