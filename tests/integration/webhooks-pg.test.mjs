// Webhooks on PostgreSQL (issue 15): two stateless collectors on one database share one outbox.
// Each qualifying answer, whichever collector took it, is delivered (verified with the npm
// standardwebhooks library), once: a collector claims due deliveries (FOR UPDATE SKIP LOCKED and a
// lease), so with a receiver failing 30 % of requests an id is retried until one 2xx and never
// sent again after it, by either collector; none for a filtered-out answer; a digest period is
// queued once across both; pruning and the log work there too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Webhook } from 'standardwebhooks';
import { startCollector, answer, post, READ_KEY, waitFor } from './collector-harness.mjs';
import { startPgCluster, pgMissing } from '../tools/pg-cluster.mjs';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ADMIN_KEY = 'pg-webhooks-admin-key-0123';
const missing = pgMissing();
if (missing) console.log(`# webhooks-pg: skipped: ${missing}`);

async function startReceiver(decide) {
  const wh = new Webhook(SECRET);
  const requests = [];
  const badSignatures = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const entry = { at: Date.now(), id: req.headers['webhook-id'], body, status: 0 };
      try { entry.payload = wh.verify(body, req.headers); } catch (e) { badSignatures.push({ id: entry.id, error: String(e) }); }
      entry.status = decide(entry);
      requests.push(entry);
      res.writeHead(entry.status, { 'Content-Type': 'text/plain' }).end('ok');
    });
  });
  server.keepAliveTimeout = 60000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`, requests, badSignatures,
    async close() { server.closeAllConnections(); await new Promise((r) => server.close(r)); },
  };
}

const log = async (c) => (await fetch(`${c.base}/v1/webhooks`, { headers: { Authorization: `Bearer ${READ_KEY}` } })).json();

test('two collectors on one PostgreSQL: every qualifying answer delivered once past its retries, ids stable, none filtered out', { skip: missing || false, timeout: 120000 }, async () => {
  const pg = await startPgCluster({ fsync: false });
  // A seeded sequence: 30 % of requests fail, the same on every run.
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const rx = await startReceiver(() => (random() < 0.3 ? 503 : 200));
  const digest = await startReceiver(() => 200);
  const args = ['--rate', '0', '--quiet', '--admin-key', ADMIN_KEY, '--webhook-retry-scale', '0.0001',
    '--webhook', rx.url, '--webhook-secret', SECRET, '--webhook-when', 'segment=detractor,passive', '--webhook-keep', '25',
    '--digest', 'weekly', '--digest-url', digest.url, '--digest-secret', SECRET];
  const a = await startCollector({ db: pg.url, args });
  const b = await startCollector({ db: pg.url, args });
  try {
    const wanted = [], filtered = [];
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    for (let i = 0; i < 60; ++i) {
      const r = answer({ score: i % 11, ts: now, comment: `answer ${i}` });
      assert.equal((await post((i % 2 ? a : b).base, r)).status, 202);
      (r.score <= 8 ? wanted : filtered).push(r.id);
    }
    // A comment arriving later at the other collector: response.updated, one more delivery.
    const later = answer({ score: 3, ts: now });
    assert.equal((await post(a.base, later)).status, 202);
    assert.equal((await post(b.base, { ...later, comment: 'it got better' })).status, 202);
    wanted.push(later.id);
    // A created delivery carries its row's cursor (the batch's cursors are computed in SQL on the
    // one-round-trip path: pg_storage.cpp write_new). Pruning keeps at least 25 an endpoint.
    const [compared, wrong] = (await pg.sql(`SELECT count(*), count(*) FILTER (WHERE o.cursor <> r.cursor) FROM outbox o
      JOIN responses r ON r.id = o.response_id WHERE o.event = 'response.created' AND r.id <> '${later.id}'`)).split('|').map(Number);
    assert.ok(compared >= 25, `${compared} created deliveries compared`);
    assert.equal(wrong, 0, 'every created delivery has its row\'s cursor');

    const ok = (id) => rx.requests.filter((q) => q.id === id && q.status === 200);
    const ids = [...wanted.map((id) => `${id}.created`)];
    await waitFor(() => ids.every((id) => ok(id).length > 0) && rx.requests.some((q) => q.id.startsWith(`${later.id}.updated.`) && q.status === 200),
      60000, 'every qualifying answer delivered');
    await new Promise((r) => setTimeout(r, 1500));  // anything sent twice would arrive by now
    for (const id of ids) {
      const all = rx.requests.filter((q) => q.id === id);
      assert.equal(ok(id).length, 1, `${id}: one 2xx`);
      assert.equal(all[all.length - 1].status, 200, `${id}: nothing after its 2xx`);
      assert.equal(new Set(all.map((q) => q.body)).size, 1, `${id}: the same body on every attempt`);
      assert.equal(all[0].payload.data.id, id.replace(/\.created$/, ''));
    }
    const updated = rx.requests.filter((q) => q.id.startsWith(`${later.id}.updated.`));
    assert.equal(new Set(updated.map((q) => q.id)).size, 1, 'one update, one stable id');
    assert.equal(updated.filter((q) => q.status === 200).length, 1);
    assert.equal(updated[0].payload.data.comment, 'it got better');
    assert.ok(rx.requests.some((q) => q.status === 503), 'some attempts failed and were retried');
    const sentFor = new Set(rx.requests.map((q) => q.payload?.data?.id));
    for (const id of filtered) assert.ok(!sentFor.has(id), `${id} (a promoter) is filtered out`);
    assert.deepEqual(rx.badSignatures, []);

    // One outbox for both: the same log from either, pruned to the 25 newest finished deliveries.
    const [la, lb] = [await log(a), await log(b)];
    assert.deepEqual(la.endpoints[0].counts, lb.endpoints[0].counts);
    await waitFor(async () => (await log(a)).endpoints[0].counts.delivered <= 25, 30000, 'pruned to 25');
    assert.equal((await log(a)).endpoints[0].counts.pending, 0);

    // A digest period queued on both collectors: one delivery, one id.
    const send = (c) => fetch(`${c.base}/v1/digest/send?end=2026-11-08`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
    const qa = (await (await send(a)).json()).queued;
    const qb = (await (await send(b)).json()).queued;
    const weekly = (q) => q.find((x) => x.webhook_id === 'digest.weekly.2026-11-02');
    assert.equal(weekly(qa).new, true);
    assert.equal(weekly(qb).new, false);
    assert.equal(weekly(qb).delivery, weekly(qa).delivery);
    await waitFor(() => digest.requests.some((q) => q.id === 'digest.weekly.2026-11-02'), 10000, 'the digest');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(digest.requests.filter((q) => q.id === 'digest.weekly.2026-11-02').length, 1);
    assert.deepEqual(digest.badSignatures, []);
  } finally {
    await a.stop();
    await b.stop();
    await rx.close();
    await digest.close();
    await pg.destroy();
  }
});
