// Attribute keys that cannot multiply memory (issue 13, item 3): 4,000 posts, each with 32 keys
// never seen before, keep the collector's RSS (read from /proc) under 200 MB and /v1/aggregate
// under 1 s; the CLI reads a file of 100,000 distinct keys with a note on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startCollector, runToExit, cliBinary, tempDir, removeDir, newId, post, READ_KEY } from './collector-harness.mjs';

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
}

test('4,000 posts with 32 fresh keys each: RSS < 200 MB, /v1/aggregate < 1 s, a late key scanned with a note', { timeout: 120000 }, async (t) => {
  const c = await startCollector({ args: ['--rate', '0'] });
  try {
    const posts = 4000, keys = 32, parallel = 16;
    let next = 0;
    const statuses = new Map();
    async function worker() {
      while (next < posts) {
        const i = next++;
        const attributes = {};
        for (let k = 0; k < keys; ++k) attributes[`k${i}x${k}`] = `v${k}`;
        const r = await post(c.base, { v: 1, id: newId('keys'), survey: 'product-nps', score: i % 11, ts: '2026-03-02T10:00:00Z', attributes });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    }
    await Promise.all(Array.from({ length: parallel }, worker));
    assert.deepEqual([...statuses.entries()], [[202, posts]]);
    const auth = { Authorization: `Bearer ${READ_KEY}` };
    const started = performance.now();
    const res = await fetch(`${c.base}/v1/aggregate?by=survey`, { headers: auth });
    const agg = await res.json();
    const seconds = (performance.now() - started) / 1000;
    assert.equal(res.status, 200);
    assert.equal(agg.total.histogram.reduce((a, b) => a + b, 0), posts);
    assert.ok(seconds < 1, `/v1/aggregate took ${seconds.toFixed(2)} s`);
    // by=survey is the rollups' own table: every answer counted, nothing to say.
    assert.equal(agg.note, undefined, agg.note);
    const rss = rssMb(c.child.pid);
    t.diagnostic(`RSS ${rss.toFixed(1)} MB, /v1/aggregate ${seconds.toFixed(3)} s`);
    assert.ok(rss < 200, `collector RSS ${rss.toFixed(1)} MB`);
    // A key past the survey's first 64 rolled up: a bounded scan of the rows counts it, and says so.
    const again = performance.now();
    const late = await fetch(`${c.base}/v1/aggregate?by=k3999x31`, { headers: auth }).then((r) => r.json());
    assert.ok(performance.now() - again < 1000);
    assert.equal(late.groups.find((g) => g.key === 'v31')?.histogram.reduce((a, b) => a + b, 0), 1, JSON.stringify(late.groups));
    assert.match(late.note ?? '', /no rollup answers this filter \(k3999x31 is past a survey's first 64 rolled-up keys\): counted from 4000 rows scanned/);
  } finally {
    await c.stop();
    c.cleanup();
  }
});

test('the key cap is per survey: survey A floods 1,000 fresh keys, survey B\'s new keys are kept', { timeout: 60000 }, async () => {
  const c = await startCollector({ args: ['--rate', '0'] });
  try {
    // 32 posts of 32 keys (the schema's per-answer limit): 1,024 keys never seen before.
    for (let i = 0; i < 32; ++i) {
      const attributes = {};
      for (let k = 0; k < 32; ++k) attributes[`flood${i}x${k}`] = 'v';
      const r = await post(c.base, { v: 1, id: newId('flood'), survey: 'survey-a', score: 5, ts: '2026-03-02T10:00:00Z', attributes });
      assert.equal(r.status, 202);
    }
    for (const [plan, score] of [['pro', 10], ['free', 3]]) {
      const r = await post(c.base, { v: 1, id: newId('kept'), survey: 'survey-b', score, ts: '2026-03-02T10:00:00Z', attributes: { b_plan: plan, b_region: 'eu' } });
      assert.equal(r.status, 202);
    }
    const auth = { Authorization: `Bearer ${READ_KEY}` };
    const agg = await fetch(`${c.base}/v1/aggregate?by=b_plan`, { headers: auth }).then((r) => r.json());
    const groups = Object.fromEntries(agg.groups.map((g) => [g.key, g.histogram]));
    assert.equal(groups.pro?.[10], 1, JSON.stringify(agg.groups));
    assert.equal(groups.free?.[3], 1, JSON.stringify(agg.groups));
    const region = await fetch(`${c.base}/v1/aggregate?by=b_region`, { headers: auth }).then((r) => r.json());
    assert.equal(region.groups.find((g) => g.key === 'eu')?.histogram.reduce((a, b) => a + b, 0), 2);
    // Survey B's keys are rolled up, but survey A is full without b_plan (its later rows may hold it): so
    // every key past a full survey's 64 is counted by a bounded scan, and said; the numbers stay whole.
    assert.match(agg.note ?? '', /b_plan is past a survey's first 64 rolled-up keys\): counted from 34 rows scanned/);
    const flooded = await fetch(`${c.base}/v1/aggregate?by=flood31x31`, { headers: auth }).then((r) => r.json());
    assert.equal(flooded.groups.find((g) => g.key === 'v')?.histogram[5], 1, JSON.stringify(flooded.groups));
    assert.match(flooded.note ?? '', /flood31x31 is past a survey's first 64 rolled-up keys\): counted from 34 rows scanned/);
  } finally {
    await c.stop();
    c.cleanup();
  }
});

test('--max-attribute-keys is checked', async () => {
  const r = await runToExit(path.join(path.dirname(cliBinary), 'npskit-collector'), ['--max-attribute-keys', '0']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--max-attribute-keys must be from 1 to 65534/);
});

test('the CLI reads a file of 100,000 distinct keys with a note, not an out-of-memory', { timeout: 60000 }, async () => {
  const dir = tempDir('npskit-keys-');
  try {
    const file = path.join(dir, 'keys.ndjson');
    const lines = [];
    for (let i = 0; i < 10000; ++i) {
      const attributes = {};
      for (let k = 0; k < 10; ++k) attributes[`key${i * 10 + k}`] = 'x';
      lines.push(JSON.stringify({ v: 1, id: `resp-keys-${i}`, survey: 's', score: i % 11, ts: '2026-03-02T10:00:00Z', attributes }));
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const r = await runToExit(cliBinary, ['score', file], { timeoutMs: 30000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).n, 10000);
    assert.match(r.stderr, /note: at least 65536 attribute keys beyond the first 64 not indexed for breakdowns \(99936 values left out\)/);
  } finally {
    removeDir(dir);
  }
});
