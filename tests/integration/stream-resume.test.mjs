// The live stream drops and returns (issue 7): a reader following /v1/stream the way the
// dashboard does (reconnect with Last-Event-ID, upsert by id) while answers and their updates
// are written and the collector is SIGKILLed twice and restarted on the same port. After the
// last write, the reader's view equals the stored rows: no gap, no double count, no event twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startCollector, tempDir, removeDir, answer, readAll, READ_KEY, readSseEvents } from './collector-harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// An EventSource-like reader over fetch: reconnects after any end or error, sending the last
// event id it saw. `view` is id → last record; `cursors` counts every event's cursor.
function follow(getBase) {
  const view = new Map();
  const cursors = new Map();
  let last = null, running = true, connections = 0, controller = null;
  const loop = (async () => {
    while (running) {
      controller = new AbortController();
      try {
        const headers = { Authorization: `Bearer ${READ_KEY}` };
        if (last !== null) headers['Last-Event-ID'] = String(last);
        const res = await fetch(`${getBase()}/v1/stream${last === null ? '?since=0' : ''}`, { headers, signal: controller.signal });
        if (res.status !== 200) throw new Error(`stream ${res.status}`);
        connections++;
        await readSseEvents(res.body, ({ id, data }) => {
          const rec = JSON.parse(data);
          cursors.set(id, (cursors.get(id) || 0) + 1);
          view.set(rec.id, rec);
          last = id;
        });
      } catch { /* dropped: reconnect */ }
      if (running) await sleep(100);
    }
  })();
  return {
    view, cursors,
    get connections() { return connections; },
    get last() { return last; },
    async stop() { running = false; controller?.abort(); await loop; },
  };
}

test('the stream resumes across two SIGKILLs with Last-Event-ID: no gap, no double count', async () => {
  const dir = tempDir();
  const db = path.join(dir, 'stream.db');
  let c = await startCollector({ db, args: ['--rate', '0'] });
  const port = c.port;
  const reader = follow(() => c.base);
  const acked = new Map();  // id → comment we were told is stored (null = none)
  let writing = true, n = 0;
  const writer = (async () => {
    while (writing) {
      n++;
      const a = answer({ score: n % 11 });
      try {
        const r = await fetch(`${c.base}/v1/responses`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(a) });
        await r.text();
        if (r.status === 202) {
          acked.set(a.id, null);
          if (n % 4 === 0) {  // its follow-up comment: an update of the same row
            const u = await fetch(`${c.base}/v1/responses`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...a, comment: `c${n}` }) });
            await u.text();
            if (u.status === 202) acked.set(a.id, `c${n}`);
          }
        }
      } catch { await sleep(30); }  // the collector is down
    }
  })();
  try {
    for (let k = 0; k < 2; k++) {
      const start = acked.size, deadline = Date.now() + 20000;
      while (acked.size < start + 40 && Date.now() < deadline) await sleep(20);
      const exit = await c.kill9();
      assert.equal(exit.signal, 'SIGKILL');
      await sleep(300);
      c = await startCollector({ db, args: ['--port', String(port), '--rate', '0'] });
    }
    const start = acked.size;
    while (acked.size < start + 30) await sleep(20);
    writing = false;
    await writer;
    const rows = (await readAll(c.base, READ_KEY, { limit: 5000 })).items;
    const lastCursor = (await (await fetch(`${c.base}/healthz`)).json()).cursor;
    const deadline = Date.now() + 10000;
    while (reader.last !== lastCursor && Date.now() < deadline) await sleep(50);
    await reader.stop();
    console.log(`# stream: ${acked.size} acknowledged answers, ${rows.length} rows, ${reader.cursors.size} events, ${reader.connections} connections`);
    assert.ok(reader.connections >= 3, `reconnected after each kill (${reader.connections} connections)`);
    assert.equal(reader.last, lastCursor, 'the reader caught up to the last cursor');
    const twice = [...reader.cursors].filter(([, k]) => k > 1);
    assert.deepEqual(twice, [], 'no event delivered twice');
    assert.equal(reader.view.size, rows.length, 'no gap, no double count: one record per stored row');
    for (const row of rows) assert.deepEqual(reader.view.get(row.id), row, `the reader's ${row.id} is the stored one`);
    for (const [id, comment] of acked) {
      assert.ok(reader.view.has(id), `acknowledged ${id} reached the reader`);
      if (comment) assert.equal(reader.view.get(id).comment, comment);
    }
  } finally {
    writing = false;
    await reader.stop();
    await c.stop();
    removeDir(dir);
  }
});
