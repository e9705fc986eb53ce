// Durability: concurrent writers while the collector is killed with SIGKILL several times.
// Every acknowledged (202) answer and every acknowledged update must be there after each
// restart, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startCollector, tempDir, removeDir, answer, readAll, READ_KEY } from './collector-harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('kill -9 during concurrent writes loses no acknowledged row and duplicates none', async () => {
  const dir = tempDir();
  const db = path.join(dir, 'durable.db');
  let collector = await startCollector({ db, args: ['--rate', '0'] });
  const acked = new Map();        // id → the comment we were told is stored (or null)
  let attempts = 0, failures = 0;
  let running = true;

  async function send(body) {
    attempts += 1;
    try {
      const res = await fetch(`${collector.base}/v1/responses`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      });
      await res.text();
      return res.status === 202;
    } catch {
      failures += 1;  // refused or reset: the collector is down; not acknowledged
      await sleep(20);
      return false;
    }
  }

  async function writer(w) {
    let n = 0;
    while (running) {
      const a = answer({ score: n % 11, attributes: { writer: String(w) } });
      n += 1;
      if (await send(a)) {
        if (!acked.has(a.id)) acked.set(a.id, null);
        // Some answers get their follow-up comment under the same id (an update).
        if (n % 3 === 0) {
          const comment = `comment ${w}/${n}`;
          if (await send({ ...a, comment })) acked.set(a.id, comment);
        }
      }
    }
  }

  const writers = Array.from({ length: 8 }, (_, w) => writer(w));
  const kills = 4;
  for (let k = 0; k < kills; k++) {
    // Kill while writes flow: after at least 25 new acknowledgements (however slow the
    // machine), plus a little more so the kill lands at a different point each time.
    const start = acked.size, deadline = Date.now() + 15000;
    while (acked.size < start + 25 && Date.now() < deadline) await sleep(10);
    await sleep(50 + 70 * k);
    const before = acked.size;
    const exit = await collector.kill9();
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(acked.size >= before);
    collector = await startCollector({ db, args: ['--rate', '0'] });
  }
  await sleep(300);
  running = false;
  await Promise.all(writers);
  // One more kill with nothing in flight, then the final check on a fresh process.
  await collector.kill9();
  collector = await startCollector({ db, args: ['--rate', '0'] });
  try {
    const { items } = await readAll(collector.base, READ_KEY, { limit: 5000 });
    const byId = new Map();
    for (const item of items) {
      assert.ok(!byId.has(item.id), `duplicate row ${item.id}`);
      byId.set(item.id, item);
    }
    assert.ok(acked.size > 100, `only ${acked.size} acknowledged writes`);
    let missing = 0, lostComments = 0;
    for (const [id, comment] of acked) {
      const row = byId.get(id);
      if (!row) missing += 1;
      else if (comment !== null && row.comment !== comment) lostComments += 1;
    }
    assert.equal(missing, 0, `${missing} acknowledged ids missing of ${acked.size}`);
    assert.equal(lostComments, 0, `${lostComments} acknowledged updates lost`);
    // Rows we were never told about may exist (committed, then killed before the answer).
    assert.ok(byId.size >= acked.size);
    assert.ok(failures > 0, 'the kills never hit a write: the test did not test anything');
    console.log(`durability: ${attempts} attempts, ${acked.size} acknowledged ids, ${failures} failed sends, ${byId.size} rows, ${kills + 1} kills`);
  } finally {
    await collector.stop();
    removeDir(dir);
  }
});
