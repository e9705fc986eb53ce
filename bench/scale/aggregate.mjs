// `npm run bench -- scale`: /v1/aggregate from the histogram rollups beside a raw GROUP BY scan
// over the same rows (same database, same run), on SQLite and PostgreSQL.
//   node bench/scale/aggregate.mjs [--rows 1000000] [--backends sqlite,postgresql] [--reps 7] [--compare OLD_BUILD_DIR]
// Rows come from the collector's own --seed-demo (the write path, so the rollups are built as
// in production). Each build is then started afresh on the seeded database, so "first" is the
// first aggregate after a start; --compare adds an older build's collector (old beside new, one
// run, same database). Prints a Markdown table and writes bench/results/scale.json.
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

const results = [];
for (const backend of backends) {
  if (backend === 'postgresql' && pgMissing()) { console.log(`# postgresql skipped: ${pgMissing()}`); continue; }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'npskit-scale-'));
  let pg = null, db;
  if (backend === 'postgresql') { pg = await startPgCluster({ fsync: false }); db = pg.url; } else db = path.join(dir, 'scale.db');
  const start = (binary, extra) => {
    const port = 19000 + Math.floor(Math.random() * 500);
    const child = spawn(binary, ['--db', db, '--port', String(port), '--read-key', KEY, '--rate', '0', '--quiet', ...extra],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    return { base: `http://127.0.0.1:${port}`, child };
  };
  const stop = async (c) => { c.child.kill('SIGTERM'); await new Promise((r) => c.child.once('exit', r)); };
  try {
    const t0 = performance.now();
    // Seeded by the first build (the old one when comparing): the new build's start then includes
    // any one-time migration of what the old one wrote.
    const seeding = start(builds[0][1], ['--seed-demo', String(rows)]);
    await waitHealthy(seeding.base, 30 * 60e3);
    const loadSeconds = (performance.now() - t0) / 1000;
    await stop(seeding);
    // A raw scan: the rows grouped by week and score, as the rollups' SQL would have to without them.
    const week = "SELECT (ts_ms / 604800000) AS w, score, count(*) FROM responses GROUP BY 1, 2";
    const run = backend === 'sqlite'
      ? (sql) => execFileSync('sqlite3', [db, sql], { maxBuffer: 1 << 26 })
      : (sql) => execFileSync('/usr/lib/postgresql/15/bin/psql', ['-X', '-q', '-d', db, '-c', sql], { maxBuffer: 1 << 26 });
    const scan = timeSql(run, week);
    for (const [build, binary] of builds) {
      const c = start(binary, []);
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
        const byDayTzMonth = await timeAggregate(c.base, 'by=day&tz=-03:00&since=2026-10-01T03:00:00Z&until=2026-11-01T03:00:00Z');
        const byPlanSurvey = await timeAggregate(c.base, 'by=plan&where=survey%3Dproduct-nps');
        // A half-hour zone (rollups + the half hour before each bucket start from rows), and a
        // since inside an hour (rollups + the rest of that hour from rows).
        const halfWeek = await timeAggregate(c.base, 'by=week&tz=%2B05:30');
        const halfDayMonth = await timeAggregate(c.base, 'by=day&tz=%2B05:30&since=2026-10-01&until=2026-11-01');
        const planSinceMinute = await timeAggregate(c.base, 'by=plan&since=2026-06-01T10:20:00Z');
        // A zone of quarter hours (rollups + the minutes before each bucket start from rows).
        const quarterWeek = await timeAggregate(c.base, 'by=week&tz=%2B05:45');
        const r = { backend, build, rows, loadSeconds, startSeconds, scanMs: scan, byWeek, byMonthTz, bySurvey, byPlan, halfHour, byWeekTz, byDayTzMonth, byPlanSurvey,
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
const ms = (t) => (t.status ? `${t.status} ${t.code}` : t.warm < 10 ? `${t.warm.toFixed(1)} ms` : `${t.warm.toFixed(0)} ms`);
console.log(`\n| backend | build | answers | load (seed-demo) | start | raw GROUP BY scan | by=week first after start | by=week | by=month&tz=-03:00&since | by=survey | by=plan | by=day&tz=+05:30 | by=week&tz=-03:00 | by=day&tz=-03:00, October | by=plan&where=survey=product-nps | by=week&tz=+05:30 | by=day&tz=+05:30, one month | by=plan&since=…T10:20:00Z | by=week&tz=+05:45 |`);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results)
  console.log(`| ${r.backend} | ${r.build} | ${r.rows.toLocaleString('en')} | ${r.loadSeconds.toFixed(0)} s | ${r.startSeconds.toFixed(1)} s | ${r.scanMs.toFixed(0)} ms | ` +
    `${r.byWeek.cold.toFixed(0)} ms | ${ms(r.byWeek)} | ${ms(r.byMonthTz)} | ${ms(r.bySurvey)} | ${ms(r.byPlan)} | ${ms(r.halfHour)} | ` +
    `${ms(r.byWeekTz)} | ${ms(r.byDayTzMonth)} | ${ms(r.byPlanSurvey)} | ${ms(r.halfWeek)} | ${ms(r.halfDayMonth)} | ${ms(r.planSinceMinute)} | ${ms(r.quarterWeek)} |`);
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/scale.json'), JSON.stringify(results, null, 2) + '\n');
