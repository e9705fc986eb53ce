// /v1/aggregate beside `npskit score` on the same rows: the query shapes and the comparison,
// shared by the tests that load data some way and check the rollups count it (bulk-import).
// Every `by`, since/until on day, half-hour and minute edges, whole, half- and quarter-hour
// zones, where and segment (rollups.test.mjs and bulk-import.test.mjs).
import assert from 'node:assert/strict';
import { runToExit, cliBinary, READ_KEY } from './collector-harness.mjs';

// The shapes for a data set whose answers carry `plan` (free | pro | team), a second attribute
// `key` (one of its values: `value`), locales (`locales`: a where list) and surveys (`survey`:
// one of them); `more`: further attribute keys to break down by.
export function casesFor({ key, value, locales, survey, more = [] }) {
  return [
    ['by=day', ['--by', 'day']],
    ['by=week', ['--by', 'week']],
    ['by=month', ['--by', 'month']],
    ['by=plan', ['--by', 'plan']],
    [`by=${key}`, ['--by', key]],
    ...more.map((k) => [`by=${k}`, ['--by', k]]),
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
    // day may have too many such days: half hours folded by SQL).
    ['by=week&tz=-03:00', ['--by', 'week', '--tz', '-03:00']],
    ['by=month&tz=%2B09:00', ['--by', 'month', '--tz', '+09:00']],
    ['by=day&tz=%2B02:00&since=2025-05-01T07:00:00Z&until=2025-05-20', ['--by', 'day', '--tz', '+02:00', '--since', '2025-05-01T07:00:00Z', '--until', '2025-05-20']],
    ['by=day&tz=-07:00&since=2025-04-01&until=2025-04-15T03:00:00Z', ['--by', 'day', '--tz', '-07:00', '--since', '2025-04-01', '--until', '2025-04-15T03:00:00Z']],
    ['by=month&tz=-05:00&where=plan%3Dpro', ['--by', 'month', '--tz', '-05:00', '--where', 'plan=pro']],
    // Half-hour zones: their days start on half-hour cells.
    ['by=week&tz=%2B05:30', ['--by', 'week', '--tz', '+05:30']],
    ['by=day&tz=-09:30', ['--by', 'day', '--tz', '-09:30']],
    [`by=month&tz=-03:30&where=${key}%3D${value}`, ['--by', 'month', '--tz', '-03:30', '--where', `${key}=${value}`]],
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
    [`by=${key}&since=2025-05-01T13:05:00Z&until=2025-05-01T14:55:00Z`, ['--by', key, '--since', '2025-05-01T13:05:00Z', '--until', '2025-05-01T14:55:00Z']],
    ['by=month&where=plan%3Dpro', ['--by', 'month', '--where', 'plan=pro']],
    [`by=plan&where=survey%3D${survey}`, ['--by', 'plan', '--where', `survey=${survey}`]],
    [`by=survey&where=locale%3D${encodeURIComponent(locales)}`, ['--by', 'survey', '--where', `locale=${locales}`]],
    ['by=week&segment=promoter', ['--by', 'week', '--segment', 'promoter']],
    [`by=${key}&where=plan!%3Dfree`, ['--by', key, '--where', 'plan!=free']],
    [`by=month&where=${key}%3D${value}&segment=detractor,passive`, ['--by', 'month', '--where', `${key}=${value}`, '--segment', 'detractor,passive']],
  ];
}
// Only these shapes are counted from rows (the aggregate says so in a note): a quarter-hour
// zone by day over more than 128 days, a `!=` condition.
export const scannedShape = /by=day&tz=%2B05:45$|!%3D/;

// `npskit generate`'s data (bulk-import): country, FR, its locales and survey.
export const aggregateCases = casesFor({ key: 'country', value: 'FR', locales: 'fr-FR|fr-CA', survey: 'product-nps', more: ['trigger'] });

// Each case's aggregate from the collector at `base` equals the CLI scoring `file`: totals
// (histogram, shown, dismissed) and every non-empty group. Returns the aggregates (for a later
// "nothing changed" comparison).
// checkNotes: also that a note says so exactly for the scanned shapes.
export async function compareAggregates(base, file, cases = aggregateCases, { checkNotes = false } = {}) {
  const auth = { Authorization: `Bearer ${READ_KEY}` };
  const answers = [];
  for (const [qs, args] of cases) {
    const cli = await runToExit(cliBinary, ['score', ...args, file], { timeoutMs: 30000 });
    assert.equal(cli.code, 0, cli.stderr);
    const expected = JSON.parse(cli.stdout);
    const res = await fetch(`${base}/v1/aggregate?${qs}`, { headers: auth });
    assert.equal(res.status, 200, qs);
    const agg = await res.json();
    if (checkNotes) {
      const scanned = scannedShape.test(qs);
      assert.equal(typeof agg.note === 'string', scanned, `${qs}: ${scanned ? 'scanned' : 'from rollups'} (${agg.note})`);
    }
    assert.deepEqual(agg.total.histogram, expected.histogram, `${qs}: total`);
    assert.equal(agg.total.shown, expected.shown ?? 0, `${qs}: shown`);
    assert.equal(agg.total.dismissed, expected.dismissed ?? 0, `${qs}: dismissed`);
    const nonEmpty = (g) => g.histogram.some((v) => v > 0);
    const ours = agg.groups.filter(nonEmpty).map((g) => [g.key, g.histogram]);
    const theirs = expected.groups.filter((g) => g.n > 0).map((g) => [g.key, g.histogram]);
    const timed = args.includes('day') || args.includes('week') || args.includes('month');
    const sorted = (list) => (timed ? list : [...list].sort());
    assert.deepEqual(sorted(ours), sorted(theirs), `${qs}: groups`);
    if (agg.groups.length > 1 && timed) {
      // Time groups keep their gaps: consecutive buckets from the first to the last.
      const starts = agg.groups.map((g) => Date.parse(g.start));
      for (let i = 1; i < starts.length; i++) assert.ok(starts[i] > starts[i - 1], `${qs}: ordered`);
    }
    answers.push([qs, agg]);
  }
  return answers;
}
