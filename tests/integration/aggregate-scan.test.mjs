// /v1/aggregate without an in-memory mirror (issue 14 items 3, 4): what no rollup answers is
// counted by a bounded scan of the rows in SQL, with a note that says so and the CLI's numbers;
// past the bound (--aggregate-scan-rows) a 422 scan_too_large, never a count of part of the
// rows. A restarted collector reads no row before or for its first rollup-answered aggregate
// (GET /metrics: npskit_rows_scanned_total stays 0). Both backends.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { startCollector, post, readAll, tempDir, removeDir, runToExit, cliBinary, READ_KEY } from './collector-harness.mjs';
import { startPgCluster, pgMissing } from '../tools/pg-cluster.mjs';

const missing = pgMissing();
if (missing) console.log(`# aggregate-scan: PostgreSQL cases skipped: ${missing}`);
const backends = [
  { name: 'sqlite', async open() { const dir = tempDir(); return { db: path.join(dir, 'npskit.db'), close: async () => removeDir(dir) }; } },
  { name: 'postgresql', skip: missing, async open() { const pg = await startPgCluster({ fsync: false }); return { db: pg.url, close: () => pg.destroy() }; } },
];
const auth = { Authorization: `Bearer ${READ_KEY}` };
const LIMIT = 50;
// Attribute groups come in the store's dictionary order (the order rows arrived): compare sorted.
const nonEmpty = (groups, time) => {
  const list = groups.filter((g) => g.histogram.some((v) => v > 0)).map((g) => [g.key, g.histogram]);
  return time ? list : list.sort();
};

// 40 answers in March 2026 and 40 in April, with two attributes; 10 display events in April.
function records() {
  const out = [];
  for (let i = 0; i < 80; i++) {
    const day = 1 + (i % 28), month = i < 40 ? '03' : '04';
    out.push({ v: 1, id: `scan_row_${String(i).padStart(3, "0")}`, survey: i % 3 ? 'app' : 'web', score: (i * 7) % 11, ts: `2026-${month}-${String(day).padStart(2, '0')}T10:00:00Z`,
      attributes: { plan: ['free', 'pro', 'team'][i % 3], region: i % 2 ? 'eu' : 'us' } });
  }
  for (let i = 0; i < 10; i++) out.push({ v: 1, id: `scan_shown_${i}`, survey: 'app', type: 'shown', ts: `2026-04-0${1 + (i % 9)}T11:00:00Z`, attributes: { plan: 'pro', region: 'eu' } });
  return out;
}

async function metric(c, name) {
  const text = await fetch(`${c.base}/metrics`, { headers: auth }).then((r) => r.text());
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

for (const backend of backends) {
  describe(`aggregate scan: ${backend.name}`, { skip: backend.skip || false }, () => {
    let store, c, dir, file;
    const start = () => startCollector({ db: store.db, args: ['--rate', '0', '--quiet', '--aggregate-scan-rows', String(LIMIT)] });
    before(async () => {
      store = await backend.open();
      dir = tempDir('npskit-scan-');
      c = await start();
      for (const rec of records()) assert.equal((await post(c.base, rec)).status, 202);
      const { items } = await readAll(c.base, READ_KEY, { limit: 1000 });
      file = path.join(dir, 'rows.ndjson');
      writeFileSync(file, items.map((i) => JSON.stringify(i)).join('\n') + '\n');
    });
    after(async () => { await c?.stop(); await store?.close(); removeDir(dir); });

    test('two attribute conditions: scanned within the bound, the CLI\'s numbers and a note', async () => {
      const qs = 'by=plan&where=region%3Deu&since=2026-04-01&until=2026-05-01';
      const res = await fetch(`${c.base}/v1/aggregate?${qs}`, { headers: auth });
      assert.equal(res.status, 200);
      const agg = await res.json();
      const cli = await runToExit(cliBinary, ['score', '--by', 'plan', '--where', 'region=eu', '--since', '2026-04-01', '--until', '2026-05-01', file]);
      assert.equal(cli.code, 0, cli.stderr);
      const expected = JSON.parse(cli.stdout);
      assert.deepEqual(agg.total.histogram, expected.histogram);
      assert.equal(agg.total.shown, 10);
      assert.deepEqual(nonEmpty(agg.groups), nonEmpty(expected.groups));
      // April's 50 rows (40 answers, 10 display events), read by the time range in SQL.
      assert.match(agg.note, /^no rollup answers this filter \(two attributes at once \(plan, region\)\): counted from 50 rows scanned in the database \(at most 50\)$/);
    });

    test('past the bound: 422 scan_too_large, no numbers', async () => {
      const before = await metric(c, 'npskit_rows_scanned_total');
      const res = await fetch(`${c.base}/v1/aggregate?by=plan&where=region%3Deu`, { headers: auth });
      assert.equal(res.status, 422);
      const body = await res.json();
      assert.equal(body.errors[0].code, 'scan_too_large');
      assert.match(body.errors[0].message, /two attributes at once \(plan, region\)\) and it matches more than 50 rows/);
      assert.equal(body.total, undefined);
      // The scan stopped one row past the bound.
      assert.equal(await metric(c, 'npskit_rows_scanned_total') - before, LIMIT + 1);
      assert.ok(await metric(c, 'npskit_aggregates_total{source="refused"}') >= 1);
    });

    test('a != condition is scanned too; a half-hour zone reads no row, a quarter-hour zone only its minutes; all agree with the CLI', async () => {
      for (const [qs, args] of [['by=region&where=plan!%3Dfree&since=2026-03-01&until=2026-04-01', ['--by', 'region', '--where', 'plan!=free', '--since', '2026-03-01', '--until', '2026-04-01']],
        ['by=day&tz=%2B05:30&since=2026-04-01&until=2026-05-01', ['--by', 'day', '--tz', '+05:30', '--since', '2026-04-01', '--until', '2026-05-01']],
        ['by=day&tz=%2B05:45&since=2026-04-01&until=2026-05-01', ['--by', 'day', '--tz', '+05:45', '--since', '2026-04-01', '--until', '2026-05-01']]]) {
        const scanned0 = await metric(c, 'npskit_rows_scanned_total');
        const res = await fetch(`${c.base}/v1/aggregate?${qs}`, { headers: auth });
        assert.equal(res.status, 200, qs);
        const agg = await res.json();
        const expected = JSON.parse((await runToExit(cliBinary, ['score', ...args, file])).stdout);
        assert.deepEqual(agg.total.histogram, expected.histogram, qs);
        assert.deepEqual(nonEmpty(agg.groups, qs.includes('by=day')), nonEmpty(expected.groups, qs.includes('by=day')), qs);
        if (qs.includes('!%3D')) {
          assert.match(agg.note, /no rollup answers this filter .*: counted from \d+ rows scanned/, qs);
        } else if (qs.includes('05:30')) {
          // Local days of half an hour start on whole half-hour cells: no row is read.
          assert.equal(agg.note, undefined, qs);
          assert.equal(await metric(c, 'npskit_rows_scanned_total') - scanned0, 0, qs);
        } else {
          // Rollups for the whole half hours, rows for the quarter hour before each local
          // midnight only: fewer rows than April's 50.
          assert.equal(agg.note, undefined, qs);
          assert.ok(await metric(c, 'npskit_rows_scanned_total') - scanned0 < 50, qs);
        }
      }
    });

    test('after a restart no row is read: the first aggregates come from rollups', async () => {
      const wanted = await fetch(`${c.base}/v1/aggregate?by=week`, { headers: auth }).then((r) => r.json());
      await c.stop();
      c = await start();
      for (const qs of ['by=week', 'by=plan', 'by=survey&where=plan%3Dpro', 'by=day&tz=-03:00']) {
        const res = await fetch(`${c.base}/v1/aggregate?${qs}`, { headers: auth });
        assert.equal(res.status, 200, qs);
        const agg = await res.json();
        assert.equal(agg.note, undefined, qs);
        if (qs === 'by=week') assert.deepEqual(agg, wanted);
      }
      assert.equal(await metric(c, 'npskit_rows_scanned_total'), 0);
      assert.equal(await metric(c, 'npskit_aggregates_total{source="rollups"}'), 4);
      assert.equal(await metric(c, 'npskit_aggregates_total{source="scan"}'), 0);
    });
  });
}
