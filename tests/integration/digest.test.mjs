// The digest from the collector (docs/http-api.md, "Digest"): queued through the webhook outbox,
// signed (verified with the reference library, npm standardwebhooks), its figures those of
// `npskit digest` / `npskit score` on the same rows, one webhook-id per period (sent twice,
// after a restart too: one delivery, the same id), the slack text, GET /v1/digest, the schedule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { startCollector, post, readAll, tempDir, removeDir, cliBinary, READ_KEY, waitFor } from './collector-harness.mjs';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ADMIN_KEY = 'digest-admin-key-0123';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startReceiver(secret) {
  const wh = secret ? new Webhook(secret) : null;
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const entry = { id: req.headers['webhook-id'], headers: req.headers, body };
      // A wrong signature throws here and fails the test through `verified`.
      try { entry.payload = wh ? wh.verify(body, req.headers) : JSON.parse(body); entry.verified = true; } catch (e) { entry.error = String(e); }
      requests.push(entry);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`, requests,
    async close() { server.closeAllConnections(); await new Promise((r) => server.close(r)); },
  };
}

function cli(...args) {
  const r = spawnSync(cliBinary, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

let n = 0;
const row = (score, ts, extra = {}) => ({ v: 1, id: `digest-${process.pid}-${++n}`, survey: 'nps', score, ts, ...extra });
const shown = (ts) => ({ v: 1, id: `digest-${process.pid}-${++n}`, survey: 'nps', type: 'shown', ts });

// Two weeks of answers: 2026-10-26..11-01 (mostly detractors) and 2026-11-02..08 (mostly promoters).
async function seed(base) {
  const comments = ['export is slow', 'billing errors', 'sync broken', 'love the reports', 'great support'];
  for (let d = 0; d < 14; ++d) {
    const day = new Date(Date.UTC(2026, 9, 26 + d));
    for (let k = 0; k < 6; ++k) {
      const ts = new Date(day.getTime() + (k + 1) * 3600_000).toISOString().replace('.000', '');
      const score = d < 7 ? [2, 4, 9, 6, 10, 3][k] : [10, 9, 9, 3, 10, 8][k];
      assert.equal((await post(base, row(score, ts, { comment: comments[(d + k) % 5] }))).status, 202);
      assert.equal((await post(base, shown(ts))).status, 202);
      assert.equal((await post(base, shown(ts))).status, 202);
    }
  }
}

// The collector's digest adds the follow-up list's open count (statuses live in the collector,
// so `npskit digest` on a file leaves it unsaid): the CLI's JSON with it, its text with the line.
const withOpen = (want, n) => ({ ...want, open_follow_ups: n, text: `${want.text}${n} to follow up\n` });
const markFollowUp = (c, id, status) => fetch(`${c.base}/v1/responses/${encodeURIComponent(id)}/follow-up`, {
  method: 'PATCH', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` },
  body: JSON.stringify({ status, by: 'anna' }),
});

const admin = (c, route) => fetch(`${c.base}${route}`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_KEY}` } });

test('digest: signed, the CLI\'s numbers, one webhook-id per period across sends and restarts, slack text, GET /v1/digest', async () => {
  const rx = await startReceiver(SECRET);
  const slack = await startReceiver(null);
  const dir = tempDir('npskit-digest-');
  const db = path.join(dir, 'npskit.db');
  const args = ['--admin-key', ADMIN_KEY, '--quiet', '--rate', '0',
    '--digest', 'weekly', '--digest-url', rx.url, '--digest-secret', SECRET,
    '--digest', 'daily', '--digest-url', slack.url, '--digest-format', 'slack', '--digest-tz', '+01:00'];
  let c = await startCollector({ db, args });
  try {
    await seed(c.base);
    const rows = (await readAll(c.base, READ_KEY)).items;
    const file = path.join(dir, 'rows.ndjson');
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

    const sent = await admin(c, '/v1/digest/send?end=2026-11-08');
    assert.equal(sent.status, 202);
    const queued = (await sent.json()).queued;
    assert.deepEqual(queued.map((q) => [q.n, q.webhook_id, q.new]),
      [[1, 'digest.weekly.2026-11-02', true], [2, 'digest.daily.2026-11-08', true]]);

    const got = await waitFor(() => rx.requests.find((r) => r.id === 'digest.weekly.2026-11-02'), 10000, 'the weekly digest');
    assert.ok(got.verified, got.error);
    assert.ok(got.headers['webhook-signature'].startsWith('v1,'));
    assert.equal(got.payload.type, 'digest.weekly');
    const d = got.payload.data;
    // The same rows through the CLI: the same digest, figure for figure, and the same text.
    const want = JSON.parse(cli('digest', file, '--end', '2026-11-08', '--format', 'json'));
    assert.equal(want.open_follow_ups, null);
    // Every seeded answer has a comment: all 84 are on the list, none marked yet.
    assert.deepEqual(d, withOpen(want, 84));
    const score = JSON.parse(cli('score', file, '--since', '2026-11-02', '--until', '2026-11-08'));
    const prev = JSON.parse(cli('score', file, '--since', '2026-10-26', '--until', '2026-11-01'));
    for (const k of ['n', 'nps', 'ci_low', 'ci_high', 'margin']) assert.equal(d.score[k], score[k], k);
    assert.equal(d.previous.nps, prev.nps);
    assert.ok(Math.abs(d.change.difference - (score.nps - prev.nps)) < 1e-9);
    assert.equal(d.rate.shown, score.shown);
    assert.equal(d.rate.answered, score.n);
    assert.equal(d.change.significant, d.change.p_value < 0.05);
    assert.ok(d.text.includes(`Change: ${d.change.words}`));
    assert.match(d.change.words, /^up \d+ points, (likely real|within noise) \(p [=<] 0\.\d+\)$/);

    // Slack: {"text"} with the daily digest of 2026-11-08 in +01:00, unsigned (no secret).
    const msg = await waitFor(() => slack.requests.find((r) => r.id === 'digest.daily.2026-11-08'), 10000, 'the slack digest');
    assert.deepEqual(Object.keys(msg.payload), ['text']);
    assert.equal(msg.payload.text, withOpen({ text: cli('digest', file, '--period', 'day', '--end', '2026-11-08', '--tz', '+01:00') }, 84).text);
    assert.equal(msg.headers['webhook-signature'], undefined);

    // Sent twice: the same id and delivery, nothing new queued; a replay re-sends that id.
    const again = await (await admin(c, '/v1/digest/send?end=2026-11-08')).json();
    assert.deepEqual(again.queued.map((q) => [q.webhook_id, q.delivery, q.new]), queued.map((q) => [q.webhook_id, q.delivery, false]));
    await sleep(500);
    assert.equal(rx.requests.filter((r) => r.id === 'digest.weekly.2026-11-02').length, 1);
    assert.equal((await admin(c, `/v1/webhooks/${queued[0].delivery}/replay`)).status, 202);
    await waitFor(() => rx.requests.filter((r) => r.id === 'digest.weekly.2026-11-02').length === 2, 10000, 'the replayed digest');
    const both = rx.requests.filter((r) => r.id === 'digest.weekly.2026-11-02');
    assert.equal(both[1].body, both[0].body);
    assert.ok(both[1].verified);

    // After a restart the period is still queued once.
    await c.stop();
    c = await startCollector({ db, args });
    const third = await (await admin(c, '/v1/digest/send?end=2026-11-08')).json();
    assert.deepEqual(third.queued.map((q) => [q.webhook_id, q.delivery, q.new]), queued.map((q) => [q.webhook_id, q.delivery, false]));

    // The schedule: at start the latest due week (ended Monday 00:00 UTC, due at 09:00) is queued.
    const due = Date.now() - 9 * 3600_000;
    const dayNo = Math.floor(due / 86400_000);
    const monday = dayNo - ((dayNo + 3) % 7);  // 1970-01-01 was a Thursday
    const expectedId = `digest.weekly.${new Date((monday - 7) * 86400_000).toISOString().slice(0, 10)}`;
    await waitFor(() => rx.requests.find((r) => r.id === expectedId), 10000, `the scheduled ${expectedId}`);

    // GET /v1/digest: the same JSON with the read key; the open count follows the statuses
    // (contacted and resolved are no longer open, todo still is; shown events are not answers).
    const answers = rows.filter((r) => r.type !== 'shown');
    assert.equal(answers.length, 84);
    for (const [r, status] of [[answers[0], 'contacted'], [answers[1], 'resolved'], [answers[2], 'todo'], [answers[3], 'resolved']])
      assert.equal((await markFollowUp(c, r.id, status)).status, 200);
    const res = await fetch(`${c.base}/v1/digest?period=week&end=2026-11-08`, { headers: { Authorization: `Bearer ${READ_KEY}` } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), withOpen(want, 81));
    assert.equal((await fetch(`${c.base}/v1/digest`)).status, 401);
    const bad = await fetch(`${c.base}/v1/digest?period=month`, { headers: { Authorization: `Bearer ${READ_KEY}` } });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).errors[0].field, 'period');
    assert.equal((await fetch(`${c.base}/v1/digest/send`, { method: 'POST' })).status, 401);
    const badEnd = await admin(c, '/v1/digest/send?end=yesterday');
    assert.equal(badEnd.status, 400);
    assert.equal((await badEnd.json()).errors[0].field, 'end');
  } finally {
    await c.stop();
    await rx.close();
    await slack.close();
    removeDir(dir);
  }
});

test('digest: a collector without a digest target answers 409 digest_not_configured', async () => {
  const c = await startCollector({ args: ['--admin-key', ADMIN_KEY, '--quiet'] });
  try {
    const r = await admin(c, '/v1/digest/send');
    assert.equal(r.status, 409);
    assert.equal((await r.json()).errors[0].code, 'digest_not_configured');
  } finally {
    await c.stop();
    c.cleanup();
  }
});
