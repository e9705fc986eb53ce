// Follow-up statuses (issue 15, the follow-up list): PATCH /v1/responses/{id}/follow-up with the
// admin key and GET /v1/follow-ups with the read key, on both backends (SQLite; PostgreSQL in a
// throwaway cluster). A status survives a restart and never alters the answer: its row, its
// cursor and the stream stay as they were.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startCollector, answer, post, readAll, readSseEvents, tempDir, removeDir, READ_KEY } from './collector-harness.mjs';
import { startPgCluster, pgMissing } from '../tools/pg-cluster.mjs';

const ADMIN_KEY = 'followup-admin-key-0123';
const ORIGIN = 'https://app.example.com';
const missing = pgMissing();
if (missing) console.log(`# followup: PostgreSQL cases skipped: ${missing}`);
const isoSeconds = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

const backends = [
  { name: 'sqlite', async open() { const dir = tempDir(); return { db: path.join(dir, 'npskit.db'), close: async () => removeDir(dir) }; } },
  { name: 'postgresql', skip: missing, async open() { const pg = await startPgCluster({ fsync: false }); return { db: pg.url, close: () => pg.destroy() }; } },
];

function patch(c, id, body, { key = ADMIN_KEY, contentType = 'application/json', headers = {} } = {}) {
  return fetch(`${c.base}/v1/responses/${encodeURIComponent(id)}/follow-up`, {
    method: 'PATCH',
    headers: { ...(contentType ? { 'Content-Type': contentType } : {}), ...(key ? { Authorization: `Bearer ${key}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
const errorOf = async (res) => (await res.json()).errors[0];
async function followUps(c, query = '') {
  const res = await fetch(`${c.base}/v1/follow-ups${query}`, { headers: { Authorization: `Bearer ${READ_KEY}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).items;
}

for (const backend of backends) {
  describe(`follow-up statuses: ${backend.name}`, { skip: backend.skip || false }, () => {
    let store, c;
    const start = () => startCollector({ db: store.db, args: ['--rate', '0', '--quiet', '--admin-key', ADMIN_KEY, '--origins', ORIGIN] });
    const detractor = answer({ score: 2, ts: isoSeconds(Date.now() - 60000), comment: 'too slow', contact_ok: true, email: 'dana@example.com' });
    before(async () => {
      store = await backend.open();
      c = await start();
      assert.equal((await post(c.base, detractor)).status, 202);
    });
    after(async () => { await c?.stop(); await store?.close(); });

    test('the admin key, and only it: none 401, the read key 401, a wrong key 401', async () => {
      const body = { status: 'contacted', by: 'anna' };
      for (const key of [null, READ_KEY, 'wrong-admin-key-000000']) {
        const res = await patch(c, detractor.id, body, { key });
        assert.equal(res.status, 401, String(key));
        assert.equal((await errorOf(res)).code, 'admin_unauthorized');
        assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      }
      assert.deepEqual(await followUps(c), [], 'nothing was stored');
    });

    test('validation: 400 bad_follow_up naming the field; 415; unknown id 404', async () => {
      const cases = [
        [{ status: 'done', by: 'anna' }, 'status'],
        [{ by: 'anna' }, 'status'],
        [{ status: 1, by: 'anna' }, 'status'],
        [{ status: 'contacted' }, 'by'],
        [{ status: 'contacted', by: '' }, 'by'],
        [{ status: 'contacted', by: 'x'.repeat(65) }, 'by'],
        [{ status: 'contacted', by: 'anna\u001b[31m' }, 'by'],
        [{ status: 'contacted', by: 'an\nna' }, 'by'],
        [{ status: 'contacted', by: 'anna', note: 'x'.repeat(1001) }, 'note'],
        [{ status: 'contacted', by: 'anna', note: 'a\u0000b' }, 'note'],
        [{ status: 'contacted', by: 'anna', note: 5 }, 'note'],
        [{ status: 'contacted', by: 'anna', score: 10 }, 'score'],
      ];
      for (const [body, field] of cases) {
        const res = await patch(c, detractor.id, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        const e = await errorOf(res);
        assert.deepEqual([e.code, e.field], ['bad_follow_up', field], JSON.stringify(body));
      }
      for (const text of ['', 'not json', '[]', '"contacted"']) assert.equal((await patch(c, detractor.id, text)).status, 400, text);
      assert.equal((await patch(c, detractor.id, { status: 'contacted', by: 'anna' }, { contentType: 'text/plain' })).status, 415);
      for (const id of ['no-such-answer', 'x'.repeat(200)]) {
        const res = await patch(c, id, { status: 'contacted', by: 'anna' });
        assert.equal(res.status, 404, id);
        assert.equal((await errorOf(res)).code, 'response_not_found');
      }
      // A display event is not an answer to follow up.
      const shown = { v: 1, id: `${detractor.id}-shown`, type: 'shown', survey: 'product-nps', ts: detractor.ts };
      assert.equal((await post(c.base, shown)).status, 202);
      assert.equal((await patch(c, shown.id, { status: 'contacted', by: 'anna' })).status, 404);
      assert.deepEqual(await followUps(c), []);
    });

    test('a 1 MB body is refused before it is read (413)', async () => {
      const res = await patch(c, detractor.id, { status: 'contacted', by: 'anna', note: 'x'.repeat(1 << 20) });
      assert.equal(res.status, 413);
      assert.equal((await errorOf(res)).code, 'too_large');
    });

    test('a PATCH stores the status and leaves the answer, its cursor and the stream alone', async () => {
      const before = await readAll(c.base, READ_KEY);
      const row = before.items.find((i) => i.id === detractor.id);
      // The stream from the current cursor: a PATCH must not make an event.
      const controller = new AbortController();
      const events = [];
      const stream = await fetch(`${c.base}/v1/stream`, { headers: { Authorization: `Bearer ${READ_KEY}` }, signal: controller.signal });
      assert.equal(stream.status, 200);
      const reading = readSseEvents(stream.body, (e) => events.push(e)).catch(() => {});
      const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>';
      const t0 = Date.now();
      const res = await patch(c, detractor.id, { status: 'contacted', by: 'anna <b>', note: `${hostile}\nleft a voicemail` });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.deepEqual({ ...body, at: undefined }, { id: detractor.id, status: 'contacted', by: 'anna <b>', at: undefined, note: `${hostile}\nleft a voicemail` });
      assert.ok(Date.parse(body.at) >= t0 - 1000 && Date.parse(body.at) <= Date.now() + 1000, body.at);
      assert.match(res.headers.get('content-type'), /^application\/json/);
      // Stored inertly: JSON text as given, never HTML.
      const listed = await followUps(c);
      assert.equal(listed.length, 1);
      assert.equal(listed[0].note, `${hostile}\nleft a voicemail`);
      // A marker answer after the PATCH: the only event the stream gets.
      const marker = answer({ score: 9, ts: isoSeconds(Date.now()) });
      assert.equal((await post(c.base, marker)).status, 202);
      const until = Date.now() + 5000;
      while (!events.some((e) => JSON.parse(e.data).id === marker.id) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      controller.abort();
      await reading;
      assert.deepEqual(events.map((e) => JSON.parse(e.data).id), [marker.id], 'the PATCH made no stream event');
      const after = await readAll(c.base, READ_KEY);
      assert.deepEqual(after.items.find((i) => i.id === detractor.id), row, 'the answer is unchanged');
      assert.deepEqual((await readAll(c.base, READ_KEY, { since: before.cursor })).items.map((i) => i.id), [marker.id], 'no new cursor for it');
    });

    test('statuses change, filter by status and since; CORS preflight allows PATCH', async () => {
      const other = answer({ score: 8, ts: isoSeconds(Date.now() - 1000), comment: 'add SSO' });
      assert.equal((await post(c.base, other)).status, 202);
      const mid = new Date(Date.now() - 1).toISOString();
      await new Promise((r) => setTimeout(r, 5));
      assert.equal((await patch(c, other.id, { status: 'resolved', by: 'bo' })).status, 200);
      assert.deepEqual((await followUps(c, '?status=resolved')).map((m) => m.id), [other.id]);
      assert.deepEqual((await followUps(c, '?status=contacted')).map((m) => m.id), [detractor.id]);
      assert.deepEqual((await followUps(c, `?since=${encodeURIComponent(mid)}`)).map((m) => m.id), [other.id]);
      for (const q of ['?status=done', '?since=yesterday', '?limit=0']) {
        const res = await fetch(`${c.base}/v1/follow-ups${q}`, { headers: { Authorization: `Bearer ${READ_KEY}` } });
        assert.equal(res.status, 400, q);
        assert.equal((await errorOf(res)).code, 'bad_parameter');
      }
      const noKey = await fetch(`${c.base}/v1/follow-ups`);
      assert.equal(noKey.status, 401);
      const preflight = await fetch(`${c.base}/v1/responses/${detractor.id}/follow-up`, {
        method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'PATCH', 'Access-Control-Request-Headers': 'authorization, content-type' },
      });
      assert.equal(preflight.status, 204);
      assert.match(preflight.headers.get('access-control-allow-methods'), /\bPATCH\b/);
      const evil = await fetch(`${c.base}/v1/responses/${detractor.id}/follow-up`, {
        method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'PATCH' },
      });
      assert.equal(evil.status, 403);
      // Back to todo: kept as a status like the others.
      assert.equal((await patch(c, other.id, { status: 'todo', by: 'bo', note: 'reopened' })).status, 200);
      assert.deepEqual((await followUps(c, '?status=todo')).map((m) => [m.id, m.note]), [[other.id, 'reopened']]);
    });

    test('the statuses survive a restart (SIGKILL); the answers are as they were', async () => {
      const marks = await followUps(c);
      const rows = (await readAll(c.base, READ_KEY)).items;
      await c.kill9();
      c = await start();
      assert.deepEqual(await followUps(c), marks);
      assert.deepEqual((await readAll(c.base, READ_KEY)).items, rows);
      assert.equal(marks.length, 2);
    });
  });
}
