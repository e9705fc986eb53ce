// /v1/aggregate beside `npskit score` on the same rows: the query shapes and the comparison,
// shared by the tests that load data some way and check the rollups count it (bulk-import).
// The list is rollups.test.mjs's: every `by`, since/until on day, hour and minute edges, whole
// and half-hour zones, where and segment.
import assert from 'node:assert/strict';
import { runToExit, cliBinary, READ_KEY } from './collector-harness.mjs';

export const aggregateCases = [
  ['by=day', ['--by', 'day']],
  ['by=week', ['--by', 'week']],
  ['by=month', ['--by', 'month']],
  ['by=plan', ['--by', 'plan']],
  ['by=country', ['--by', 'country']],
  ['by=survey', ['--by', 'survey']],
  ['by=locale', ['--by', 'locale']],
  ['by=trigger', ['--by', 'trigger']],
  ['by=week&since=2025-03-01&until=2025-08-31', ['--by', 'week', '--since', '2025-03-01', '--until', '2025-08-31']],
  ['by=week&since=2025-03-01T05:00:00Z&until=2025-08-31T17:00:00Z', ['--by', 'week', '--since', '2025-03-01T05:00:00Z', '--until', '2025-08-31T17:00:00Z']],
  ['by=plan&since=2025-02-01T13:00:00Z&until=2025-06-02T09:00:00Z', ['--by', 'plan', '--since', '2025-02-01T13:00:00Z', '--until', '2025-06-02T09:00:00Z']],
  ['by=survey&since=2025-05-01T13:00:00Z&until=2025-05-02T09:00:00Z', ['--by', 'survey', '--since', '2025-05-01T13:00:00Z', '--until', '2025-05-02T09:00:00Z']],
  ['by=day&tz=-03:00', ['--by', 'day', '--tz', '-03:00']],
  ['by=day&tz=%2B05:30', ['--by', 'day', '--tz', '+05:30']],
  ['by=week&tz=-03:00', ['--by', 'week', '--tz', '-03:00']],
  ['by=month&tz=%2B09:00', ['--by', 'month', '--tz', '+09:00']],
  ['by=day&tz=%2B02:00&since=2025-05-01T07:00:00Z&until=2025-05-20', ['--by', 'day', '--tz', '+02:00', '--since', '2025-05-01T07:00:00Z', '--until', '2025-05-20']],
  ['by=day&tz=-07:00&since=2025-04-01&until=2025-04-15T03:00:00Z', ['--by', 'day', '--tz', '-07:00', '--since', '2025-04-01', '--until', '2025-04-15T03:00:00Z']],
  ['by=month&tz=-05:00&where=plan%3Dpro', ['--by', 'month', '--tz', '-05:00', '--where', 'plan=pro']],
  ['by=week&tz=%2B05:30', ['--by', 'week', '--tz', '+05:30']],
  ['by=month&tz=-03:30&where=country%3DFR', ['--by', 'month', '--tz', '-03:30', '--where', 'country=FR']],
  ['by=day&tz=%2B05:30&since=2025-05-01&until=2025-05-20', ['--by', 'day', '--tz', '+05:30', '--since', '2025-05-01', '--until', '2025-05-20']],
  ['by=plan&tz=%2B05:30', ['--by', 'plan', '--tz', '+05:30']],
  ['by=plan&since=2025-02-01T13:20:00Z&until=2025-06-02T09:45:00Z', ['--by', 'plan', '--since', '2025-02-01T13:20:00Z', '--until', '2025-06-02T09:45:00Z']],
  ['by=week&since=2025-03-01T05:10:00Z&until=2025-08-31T17:50:00Z', ['--by', 'week', '--since', '2025-03-01T05:10:00Z', '--until', '2025-08-31T17:50:00Z']],
  ['by=survey&since=2025-05-01T13:05:00Z&until=2025-05-01T13:55:00Z', ['--by', 'survey', '--since', '2025-05-01T13:05:00Z', '--until', '2025-05-01T13:55:00Z']],
  ['by=country&since=2025-05-01T13:05:00Z&until=2025-05-01T14:55:00Z', ['--by', 'country', '--since', '2025-05-01T13:05:00Z', '--until', '2025-05-01T14:55:00Z']],
  ['by=month&where=plan%3Dpro', ['--by', 'month', '--where', 'plan=pro']],
  ['by=plan&where=survey%3Dproduct-nps', ['--by', 'plan', '--where', 'survey=product-nps']],
  ['by=survey&where=locale%3Dfr-FR%7Cfr-CA', ['--by', 'survey', '--where', 'locale=fr-FR|fr-CA']],
  ['by=week&segment=promoter', ['--by', 'week', '--segment', 'promoter']],
  ['by=country&where=plan!%3Dfree', ['--by', 'country', '--where', 'plan!=free']],
  ['by=month&where=country%3DFR&segment=detractor,passive', ['--by', 'month', '--where', 'country=FR', '--segment', 'detractor,passive']],
];

// Each case's aggregate from the collector at `base` equals the CLI scoring `file`: totals
// (histogram, shown, dismissed) and every non-empty group. Returns the aggregates (for a later
// "nothing changed" comparison).
export async function compareAggregates(base, file, cases = aggregateCases) {
  const auth = { Authorization: `Bearer ${READ_KEY}` };
  const answers = [];
  for (const [qs, args] of cases) {
    const cli = await runToExit(cliBinary, ['score', ...args, file], { timeoutMs: 30000 });
    assert.equal(cli.code, 0, cli.stderr);
    const expected = JSON.parse(cli.stdout);
    const res = await fetch(`${base}/v1/aggregate?${qs}`, { headers: auth });
    assert.equal(res.status, 200, qs);
    const agg = await res.json();
    assert.deepEqual(agg.total.histogram, expected.histogram, `${qs}: total`);
    assert.equal(agg.total.shown, expected.shown ?? 0, `${qs}: shown`);
    assert.equal(agg.total.dismissed, expected.dismissed ?? 0, `${qs}: dismissed`);
    const nonEmpty = (g) => g.histogram.some((v) => v > 0);
    const ours = agg.groups.filter(nonEmpty).map((g) => [g.key, g.histogram]);
    const theirs = expected.groups.filter((g) => g.n > 0).map((g) => [g.key, g.histogram]);
    const timed = args.includes('day') || args.includes('week') || args.includes('month');
    const sorted = (list) => (timed ? list : [...list].sort());
    assert.deepEqual(sorted(ours), sorted(theirs), `${qs}: groups`);
    answers.push([qs, agg]);
  }
  return answers;
}
