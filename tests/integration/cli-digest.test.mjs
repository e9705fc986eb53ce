// `npskit digest` against `npskit score` on the same file: the same NPS, interval, response
// rate; the change's p-value recomputed here from the two periods' histograms (score.h's
// adjusted-Wald difference), so the digest's words rest on the CLI's own numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const cli = path.resolve(root, process.env.NPSKIT_BUILD_NATIVE || 'build-native', 'npskit');

function npskit(...args) {
  const r = spawnSync(cli, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
}

// Standard normal CDF from erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7).
function normalCdf(x) {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}
function pValue(a, b) {
  const adj = (g) => {
    const n = g.n + 3;
    const p = (g.promoters + 0.75) / n, d = (g.detractors + 0.75) / n;
    return { e: p - d, v: (p + d - (p - d) ** 2) / n };
  };
  const x = adj(a), y = adj(b);
  const se = Math.sqrt(x.v + y.v);
  return 2 * (1 - normalCdf(Math.abs(x.e - y.e) / se));
}

const dir = mkdtempSync(path.join(tmpdir(), 'npskit-digest-'));
const file = path.join(dir, 'data.ndjson');
const gen = npskit('generate', '--rows', '4000', '--months', '3', '--end', '2026-01-01', '--seed', '11');
assert.equal(gen.code, 0, gen.err);
writeFileSync(file, gen.out);

function checkAgainstScore(digest, since, until, prevSince, prevUntil) {
  const cur = npskit('score', file, '--since', since, '--until', until).json();
  const prev = npskit('score', file, '--since', prevSince, '--until', prevUntil).json();
  assert.ok(cur.n > 20 && prev.n > 20, 'enough answers in both periods');
  for (const k of ['n', 'promoters', 'passives', 'detractors', 'nps', 'nps_rounded', 'ci_low', 'ci_high', 'margin'])
    assert.equal(digest.score[k], cur[k], k);
  assert.equal(digest.previous.nps, prev.nps);
  assert.equal(digest.previous.n, prev.n);
  assert.ok(Math.abs(digest.change.difference - (cur.nps - prev.nps)) < 1e-9);
  assert.ok(Math.abs(digest.change.p_value - pValue(cur, prev)) < 1e-6, `${digest.change.p_value} vs ${pValue(cur, prev)}`);
  assert.equal(digest.change.significant, digest.change.p_value < 0.05);
  assert.equal(digest.rate.shown, cur.shown);
  assert.equal(digest.rate.answered, cur.n);
  assert.ok(Math.abs(digest.rate.answer_rate - cur.n / cur.shown) < 1e-12);
}

test('weekly digest: the figures of npskit score over the week and the week before', () => {
  const r = npskit('digest', file, '--end', '2025-12-28', '--format', 'json');
  assert.equal(r.code, 0, r.err);
  const d = r.json();
  assert.equal(d.period, 'week');
  assert.equal(d.since, '2025-12-22T00:00:00Z');
  assert.equal(d.until, '2025-12-29T00:00:00Z');
  checkAgainstScore(d, '2025-12-22', '2025-12-28', '2025-12-15', '2025-12-21');
  // The text says the same numbers.
  const text = npskit('digest', file, '--end', '2025-12-28').out;
  assert.equal(text, d.text);
  assert.match(text, new RegExp(`^\\*NPS weekly digest\\*: 2025-12-22 to 2025-12-28 \\(UTC\\)\\n`));
  assert.ok(text.includes(`NPS *${d.score.nps_rounded}* (95% CI ${Math.round(d.score.ci_low)} to ${Math.round(d.score.ci_high)})`), text);
  assert.ok(text.includes(`Change: ${d.change.words}`));
  assert.match(d.change.words, /^(up \d+ points?|down \d+ points?|unchanged), (likely real|within noise) \(p [=<] 0\.\d+\)$/);
  assert.ok(!text.includes('to follow up'));
});

test('daily digest in +01:00 and the follow-up count', () => {
  const r = npskit('digest', file, '--period', 'day', '--end', '2025-12-20', '--tz', '+01:00', '--follow-ups', '4', '--format', 'json');
  assert.equal(r.code, 0, r.err);
  const d = r.json();
  assert.equal(d.since, '2025-12-19T23:00:00Z');
  assert.equal(d.until, '2025-12-20T23:00:00Z');
  assert.equal(d.open_follow_ups, 4);
  assert.match(d.text, /\n4 to follow up\n$/);
  const cur = npskit('score', file, '--since', '2025-12-19T23:00:00Z', '--until', '2025-12-20T23:00:00Z').json();
  assert.equal(d.score.nps, cur.nps);
  assert.equal(d.score.ci_low, cur.ci_low);
});

test('default end: the week that holds the newest answer; bad options exit 2', () => {
  const d = npskit('digest', file, '--format', 'json').json();
  assert.equal(d.until, '2026-01-05T00:00:00Z');  // the data ends before 2026-01-01, a Thursday
  assert.equal(npskit('digest', file, '--period', 'month').code, 2);
  assert.equal(npskit('digest', file, '--end', 'yesterday').code, 2);
  assert.equal(npskit('digest').code, 2);
});
