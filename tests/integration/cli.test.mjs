// The `npskit` CLI on files under examples/data/ and tests/data/: outputs, errors, exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const cli = path.resolve(root, process.env.NPSKIT_BUILD_NATIVE || 'build-native', 'npskit');
const data = (f) => path.join(root, 'examples/data', f);
const known = (f) => path.join(root, 'tests/data', f);

function npskit(...args) {
  const r = spawnSync(cli, args, { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
}

test('32 promoters, 13 passives, 6 detractors: 50.98, shown as 51', () => {
  const r = npskit('score', known('delighted-51.ndjson'));
  assert.equal(r.code, 0, r.err);
  const j = r.json();
  assert.equal(j.n, 51);
  assert.deepEqual([j.promoters, j.passives, j.detractors], [32, 13, 6]);
  assert.ok(Math.abs(j.nps - 50.980392) < 1e-5);
  assert.equal(j.nps_rounded, 51);
  // adjusted-Wald, computed independently (Python statistics.NormalDist)
  assert.ok(Math.abs(j.ci_low - 29.294855) < 1e-5);
  assert.ok(Math.abs(j.ci_high - 67.001442) < 1e-5);
  assert.ok(Math.abs(j.margin - 18.853293) < 1e-5);
  assert.equal(j.histogram.length, 11);
  assert.equal(j.skipped_rows, 0);
});

test('8 answers with 1 promoter and 2 detractors: -12.5 rounds to -13', () => {
  const j = npskit('score', known('minus-12-5.ndjson')).json();
  assert.equal(j.nps, -12.5);
  assert.equal(j.nps_rounded, -13);
});

test('--confidence 0.90 narrows the interval', () => {
  const j = npskit('score', known('delighted-51.ndjson'), '--confidence', '0.90').json();
  assert.equal(j.confidence, 0.9);
  assert.ok(Math.abs(j.ci_low - 32.325966) < 1e-5);
});

test('bad rows are skipped, counted and reported with their line numbers', () => {
  const r = npskit('score', data('responses.ndjson'));
  assert.equal(r.code, 0);
  assert.equal(r.json().skipped_rows, 2);
  assert.match(r.err, /responses\.ndjson:316: skipped: score must be an integer from 0 to 10/);
  assert.match(r.err, /responses\.ndjson:317: skipped: score has the wrong type/);
});

test('every example format is read: JSON array (Delighted), CSV (Formbricks, plain), NDJSON', () => {
  const delighted = npskit('score', data('delighted-survey_responses.json')).json();
  assert.equal(delighted.n, 30);
  const formbricks = npskit('score', data('formbricks-export.csv'));
  assert.equal(formbricks.json().n, 24);
  assert.match(formbricks.err, /formbricks-export\.csv:9: skipped: score is required/);
  const plain = npskit('score', data('plain.csv')).json();
  assert.equal(plain.n, 40);
  assert.equal(plain.skipped_rows, 3);
  const all = npskit('score', data('plain.csv'), data('delighted-survey_responses.json'),
                     data('formbricks-export.csv'), data('responses.ndjson')).json();
  assert.equal(all.n, 40 + 30 + 24 + npskit('score', data('responses.ndjson')).json().n);
});

test('--by week: groups add up to the total, each with the same keys', () => {
  const j = npskit('score', data('responses.ndjson'), '--by', 'week').json();
  assert.equal(j.by, 'week');
  assert.ok(j.groups.length > 10);
  const sum = j.groups.reduce((s, g) => s + g.n, 0);
  assert.equal(sum, j.n);
  for (const g of j.groups) {
    assert.match(g.key, /^\d{4}-W\d{2}$/);
    for (const k of ['n', 'promoters', 'passives', 'detractors', 'histogram', 'nps', 'nps_rounded', 'ci_low', 'ci_high', 'margin'])
      assert.ok(k in g, `${k} in group`);
    if (g.n === 0) assert.equal(g.nps, null);  // an empty week has no score, not 0
  }
});

test('--by attribute, --where, --since/--until filter consistently', () => {
  const byPlan = npskit('score', data('responses.ndjson'), '--by', 'plan').json();
  const pro = byPlan.groups.find((g) => g.key === 'pro');
  const wherePro = npskit('score', data('responses.ndjson'), '--where', 'plan=pro').json();
  assert.equal(wherePro.n, pro.n);
  assert.deepEqual(wherePro.histogram, pro.histogram);
  const notPro = npskit('score', data('responses.ndjson'), '--where', 'plan!=pro').json();
  assert.equal(notPro.n + wherePro.n, byPlan.n);
  const jan = npskit('score', data('responses.ndjson'), '--since', '2026-01-01', '--until', '2026-01-31').json();
  const months = npskit('score', data('responses.ndjson'), '--by', 'month').json();
  assert.equal(jan.n, months.groups.find((g) => g.key === '2026-01').n);
});

test('--format table is for people', () => {
  const r = npskit('score', known('delighted-51.ndjson'), '--format', 'table');
  assert.equal(r.code, 0);
  assert.match(r.out, /NPS/);
  assert.match(r.out, /all\s+51\s+51\s+\[29\.3, 67\.0\]\s+18\.9/);
});

test('errors: no valid row, unreadable file, bad flags', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'npskit-cli-'));
  const bad = path.join(dir, 'bad.csv');
  writeFileSync(bad, 'score,date\n11,2026-01-01\nabc,2026-01-02\n');
  const r = npskit('score', bad);
  assert.equal(r.code, 1);
  assert.equal(r.json().n, 0);
  assert.equal(r.json().nps, null);
  assert.match(r.err, /no valid row/);
  assert.equal(npskit('score', path.join(dir, 'missing.ndjson')).code, 1);
  const flag = npskit('score', bad, '--by');
  assert.equal(flag.code, 2);
  assert.match(flag.err, /--by needs/);
  assert.equal(npskit('score', bad, '--confidence', '1.5').code, 2);
  assert.equal(npskit('score', bad, '--since', 'yesterday').code, 2);
  assert.equal(npskit('frobnicate').code, 2);
});

test('validate: strict schema v1', () => {
  const ok = npskit('validate', known('delighted-51.ndjson'));
  assert.equal(ok.code, 0);
  assert.deepEqual(JSON.parse(ok.out), { valid: 51, invalid: 0 });
  const bad = npskit('validate', data('responses.ndjson'));
  assert.equal(bad.code, 1);
  assert.equal(JSON.parse(bad.out).invalid, 2);
  // a peer's export is not schema v1
  assert.equal(npskit('validate', data('delighted-survey_responses.json')).code, 1);
});

test('stdin is read with -', () => {
  const r = spawnSync(cli, ['score', '-'], { input: readFileSync(known('minus-12-5.ndjson')), encoding: 'utf8' });
  assert.equal(JSON.parse(r.stdout).nps_rounded, -13);
});

test('a repeated id updates its answer, within a file and across files (score first, comment later)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'npskit-cli-'));
  const rec = (id, score, extra = {}) => JSON.stringify({ v: 1, id, survey: 'product-nps', score, ts: '2026-03-0' + (score % 9 + 1) + 'T10:00:00Z', ...extra });
  const a = path.join(dir, 'a.ndjson'), b = path.join(dir, 'b.ndjson');
  writeFileSync(a, [rec('answer-0001', 3), rec('answer-0002', 9), rec('answer-0001', 10, { comment: 'changed my mind' })].join('\n') + '\n');
  writeFileSync(b, [rec('answer-0002', 5, { comment: 'later, from another file' }), rec('answer-0003', 8)].join('\n') + '\n');
  const j = npskit('score', a, b).json();
  assert.equal(j.rows, 5);  // records read
  assert.equal(j.n, 3);     // answers: three ids
  assert.deepEqual([j.promoters, j.passives, j.detractors], [1, 1, 1]);  // 10, 8, 5: the last score of each id
});

test('themes: distinctive themes per segment with their effect on NPS (labelled EN/FR set)', () => {
  const r = npskit('themes', known('themes-labelled.ndjson'), '--top', '5');
  assert.equal(r.code, 0, r.err);
  const j = r.json();
  assert.equal(j.by, 'segment');
  assert.equal(j.comments, 360);
  assert.deepEqual(j.groups.map((g) => g.key), ['detractor', 'passive', 'promoter']);
  const texts = (key) => j.groups.find((g) => g.key === key).themes.map((t) => t.text);
  for (const g of j.groups) assert.equal(g.themes.length, 5);
  assert.ok(texts('detractor').includes('billing'), texts('detractor').join());
  assert.ok(texts('promoter').includes('onboarding'), texts('promoter').join());
  const billing = j.groups[0].themes.find((t) => t.text === 'billing');
  // Every billing comment is a detractor's: NPS -100 against the rest, a significant cost.
  assert.equal(billing.with.nps, -100);
  assert.ok(billing.difference < 0 && billing.p_value < 0.001);
  assert.ok(billing.z > 1 && billing.count >= 3 && billing.other_count === 0);
  assert.ok(Math.abs(billing.impact - (billing.with.n / j.comments) * billing.difference) < 1e-9);
  // Drivers: sorted by |impact|.
  const impacts = j.drivers.map((t) => Math.abs(t.impact));
  assert.deepEqual(impacts, [...impacts].sort((a, b) => b - a));
});

test('themes: --by ATTRIBUTE, --locale, --format table and errors', () => {
  const by = npskit('themes', known('themes-labelled.ndjson'), '--by', 'locale').json();
  assert.deepEqual(by.groups.map((g) => g.key).sort(), ['en', 'fr']);
  const fr = by.groups.find((g) => g.key === 'fr').themes.map((t) => t.text);
  assert.ok(fr.every((t) => !/^(the|and|la|le|les)$/.test(t)), fr.join());
  const table = npskit('themes', known('themes-labelled.ndjson'), '--format', 'table', '--locale', 'en');
  assert.equal(table.code, 0);
  assert.match(table.out, /^segment detractor \(120\)/m);
  assert.match(table.out, /drivers \(by impact\)/);
  assert.equal(npskit('themes').code, 2);
  assert.equal(npskit('themes', known('themes-labelled.ndjson'), '--top', '0').code, 2);
  assert.equal(npskit('themes', known('themes-labelled.ndjson'), '--locale', 'de').code, 2);
  assert.equal(npskit('themes', known('minus-12-5.ndjson')).code, 1);  // no comment
});
