// One question, three surfaces (docs/parameters.md): `npskit score`, GET /v1/aggregate and the
// dashboard's URL hash must give the same numbers on the same rows: a bare-date `until`
// includes its day, every UTC offset form gives the same buckets, include and exclude
// conditions (and their older spellings) select the same rows.
// Needs: build-native (npskit, npskit-collector); the dashboard part also build-web/dist/dashboard.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { READ_KEY, cliBinary, post, removeDir, runToExit, startCollector, tempDir } from './collector-harness.mjs';
import { DASHBOARD_DIR, launchBrowser, startStaticServer, waitForLoad, waitForState } from '../e2e/dashboard-helpers.mjs';

const auth = { Authorization: `Bearer ${READ_KEY}` };

// 150 rows from 2026-01-29 to 2026-02-02, 47 minutes apart, plus rows on the edges of 31 January
// (23:30Z, 23:59:59.999Z, 00:00Z of 1 February) and a few display events.
function rows() {
  const out = [];
  const plans = ['pro', 'team', 'free'], countries = ['FR', 'DE', 'US'];
  const start = Date.parse('2026-01-29T00:10:00Z');
  for (let i = 0; i < 150; i++) {
    const attributes = { plan: plans[i % 3], country: countries[Math.floor(i / 2) % 3] };
    if (i % 10 === 0) delete attributes.plan;  // rows without a plan
    out.push({ v: 1, id: `param-row-${1000 + i}`, survey: 'product-nps', score: (i * 7) % 11,
      ts: new Date(start + i * 47 * 60000).toISOString(), attributes });
  }
  const edges = ['2026-01-31T23:30:00Z', '2026-01-31T23:59:59.999Z', '2026-02-01T00:00:00Z'];
  edges.forEach((ts, k) => out.push({ v: 1, id: `param-edge-${1000 + k}`, survey: 'product-nps', score: 10 - k, ts,
    attributes: { plan: 'pro', country: 'FR' } }));
  for (let k = 0; k < 6; k++)
    out.push({ v: 1, id: `param-show-${1000 + k}`, type: k % 2 ? 'dismissed' : 'shown', survey: 'product-nps',
      ts: `2026-01-3${k % 2}T1${k}:00:00Z`, attributes: { plan: 'pro', country: 'DE' } });
  return out;
}

// The same question in each surface's words.
const questions = [
  { name: 'until as a bare date includes that day', cli: ['--since', '2026-01-30', '--until', '2026-01-31'],
    http: 'since=2026-01-30&until=2026-01-31', hash: 'since=2026-01-30&until=2026-01-31' },
  { name: 'the dashboard\'s range=A..B is since=A&until=B', cli: ['--since', '2026-01-30', '--until', '2026-01-31'],
    http: 'since=2026-01-30&until=2026-01-31', hash: 'range=2026-01-30..2026-01-31' },
  { name: 'until as a timestamp is exclusive (with an offset)', cli: ['--until', '2026-02-01T00:30:00+01:00'],
    http: 'until=2026-02-01T00:30:00%2B01:00' },
  { name: 'until as a timestamp, its + sent unencoded', cli: ['--until', '2026-02-01T00:30:00+01:00'],
    http: 'until=2026-02-01T00:30:00+01:00' },
  { name: 'include with several values and exclude', cli: ['--where', 'plan=pro|team', '--where', 'country!=DE'],
    http: 'where=plan%3Dpro%7Cteam&where=country!%3DDE', hash: 'where=plan%3Dpro%7Cteam&where=country!%3DDE' },
  { name: 'repeating a key means any of', cli: ['--where', 'plan=pro', '--where', 'plan=team'],
    http: 'where=plan%3Dpro&where=plan%3Dteam', hash: 'where=plan%3Dpro&where=plan%3Dteam' },
  { name: 'older spellings: KEY:VALUE over HTTP, a.KEY and x= in the hash', cli: ['--where', 'plan=pro', '--where', 'country!=DE'],
    http: 'where=plan:pro&where=country!%3DDE', hash: 'a.plan=pro&x=country%3DDE' },
  { name: 'empty value: rows without the attribute', cli: ['--where', 'plan='], http: 'where=plan%3D',
    hash: 'where=plan%3D' },
  { name: 'segments', cli: ['--segment', 'detractor,passive', '--since', '2026-01-31'],
    http: 'segment=detractor,passive&since=2026-01-31', hash: 'seg=dp&since=2026-01-31&until=2026-02-02' },
  { name: 'everything at once', cli: ['--since', '2026-01-30', '--until', '2026-02-01', '--where', 'plan!=free',
    '--where', 'country=FR|US', '--segment', 'promoter,passive'],
    http: 'since=2026-01-30&until=2026-02-01&where=plan!%3Dfree&where=country%3DFR%7CUS&segment=promoter,passive',
    hash: 'since=2026-01-30&until=2026-02-01&where=plan!%3Dfree&where=country%3DFR%7CUS&segment=promoter,passive' },
];

async function score(args, file) {
  const r = await runToExit(cliBinary, ['score', '--format', 'json', ...args, file], { timeoutMs: 30000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

async function aggregate(base, query) {
  const res = await fetch(`${base}/v1/aggregate?${query}`, { headers: auth });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

const sum = (h) => h.reduce((s, v) => s + v, 0);

describe('one question, three surfaces', () => {
  let c, dir, file, data;
  before(async () => {
    dir = tempDir('npskit-params-');
    data = rows();
    file = path.join(dir, 'rows.ndjson');
    writeFileSync(file, data.map((r) => JSON.stringify(r)).join('\n') + '\n');
    c = await startCollector({ args: ['--rate', '0'] });
    for (const r of data) assert.equal((await post(c.base, r)).status, 202);
    const all = await aggregate(c.base, 'by=week');
    assert.equal(sum(all.total.histogram), data.filter((r) => r.score !== undefined).length);
  });
  after(async () => {
    await c?.stop();
    c?.cleanup();
    if (dir) removeDir(dir);
  });

  test('the CLI and /v1/aggregate agree', async () => {
    for (const q of questions) {
      const cli = await score(q.cli, file);
      const http = await aggregate(c.base, q.http);
      assert.deepEqual(http.total.histogram, cli.histogram, q.name);
      assert.equal(http.total.shown, cli.shown, `${q.name}: shown`);
      assert.equal(http.total.dismissed, cli.dismissed, `${q.name}: dismissed`);
      assert.ok(cli.n > 0, `${q.name}: selects rows`);
    }
  });

  test('the edges: a bare date keeps its last millisecond, a timestamp excludes itself', async () => {
    const day = await score(['--until', '2026-01-31'], file);
    const instant = await score(['--until', '2026-02-01T00:00:00Z'], file);
    const before = await score(['--until', '2026-01-31T23:30:00Z'], file);
    assert.deepEqual(day.histogram, instant.histogram);
    assert.equal(day.n, before.n + 2);  // 23:30 and 23:59:59.999 are in 31 January
    const http = await aggregate(c.base, 'until=2026-01-31');
    assert.deepEqual(http.total.histogram, day.histogram);
  });

  test('every UTC offset form gives the same day buckets', async () => {
    const plus = await score(['--by', 'day', '--tz', '+01:00'], file);
    const keyed = (groups) => groups.filter((g) => sum(g.histogram) > 0).map((g) => [g.key, g.histogram]);
    for (const tz of ['+01:00', '+0100', '+01']) {
      assert.deepEqual(keyed((await score(['--by', 'day', '--tz', tz], file)).groups), keyed(plus.groups), `CLI ${tz}`);
      for (const sent of [encodeURIComponent(tz), tz]) {  // a raw '+' arrives as a space
        const http = await aggregate(c.base, `by=day&tz=${sent}`);
        assert.equal(http.tz, 60, sent);
        assert.deepEqual(keyed(http.groups), keyed(plus.groups), `HTTP tz=${sent}`);
      }
    }
    const utc = keyed((await score(['--by', 'day'], file)).groups);
    assert.notDeepEqual(utc, keyed(plus.groups));  // the offset matters for these rows
    for (const tz of ['Z', 'z', 'UTC']) {
      assert.deepEqual(keyed((await score(['--by', 'day', '--tz', tz], file)).groups), utc, `CLI ${tz}`);
      assert.deepEqual(keyed((await aggregate(c.base, `by=day&tz=${tz}`)).groups), utc, `HTTP ${tz}`);
    }
  });

  test('a bad parameter gets the same sentence on both', async () => {
    for (const [flag, value] of [['until', 'yesterday'], ['tz', '+15:00'], ['where', 'plan'], ['segment', 'fans'], ['by', 'a b']]) {
      const r = await runToExit(cliBinary, ['score', `--${flag}`, value, file]);
      assert.equal(r.code, 2, `${flag}`);
      const res = await fetch(`${c.base}/v1/aggregate?${flag}=${encodeURIComponent(value)}`, { headers: auth });
      assert.equal(res.status, 400);
      const e = (await res.json()).errors[0];
      assert.equal(e.field, flag);
      assert.ok(r.stderr.includes(`--${e.message}`), `${flag}: CLI said ${r.stderr.split('\n')[0]}, HTTP said ${e.message}`);
    }
  });

  const dashboardSkip = !existsSync(path.join(DASHBOARD_DIR, 'dashboard.wasm')) ? `no dashboard bundle in ${DASHBOARD_DIR}` : false;
  test('the dashboard\'s URL hash agrees with the CLI', { skip: dashboardSkip }, async () => {
    const server = await startStaticServer({ '/rows.ndjson': { data: data.map((r) => JSON.stringify(r)).join('\n'),
      type: 'application/x-ndjson' } });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
      const src = `src=${encodeURIComponent(server.url + '/rows.ndjson')}`;
      await page.goto(`${server.url}/dashboard/index.html#${src}`);
      const all = await waitForLoad(page);
      assert.equal(all.load.phase, 'done');
      for (const q of questions.filter((x) => x.hash)) {
        const cli = await score(q.cli, file);
        await page.evaluate((h) => { location.hash = h; }, `${src}&${q.hash}`);
        const s = await waitForState(page, (x) => x.n === cli.n && JSON.stringify(x.histogram) === JSON.stringify(cli.histogram),
          { timeout: 5000, what: `${q.name}: the dashboard to show n=${cli.n}` }).catch(async (e) => {
          const last = await page.evaluate(() => window.npskitDashboard.state());
          assert.fail(`${q.name}: dashboard n=${last.n} ${JSON.stringify(last.histogram)} hash=${last.hash}, CLI n=${cli.n} ${JSON.stringify(cli.histogram)}; ${e.message.slice(0, 80)}`);
        });
        assert.deepEqual(s.histogram, cli.histogram, q.name);
      }
      await page.close();
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
