// npskit-collector backup PATH while a collector serves the same file under write load: the copy
// passes PRAGMA integrity_check, holds every answer acknowledged before the backup started,
// opens in a collector (the restore path), and writers were not held up while it ran.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startCollector, tempDir, removeDir, answer, readAll, runToExit, collectorBinary, READ_KEY } from './collector-harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// PRAGMA integrity_check and the row count, with whichever SQLite shell the machine has.
function inspect(db) {
  const sql = 'PRAGMA integrity_check; SELECT COUNT(*) FROM responses; PRAGMA journal_mode;';
  if (existsSync('/usr/bin/sqlite3')) {
    const r = spawnSync('/usr/bin/sqlite3', ['-readonly', db, sql], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [check, rows, mode] = r.stdout.trim().split('\n');
    return { check, rows: Number(rows), mode };
  }
  const py = `import sqlite3,sys\nc=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro',uri=True)\n` +
    `print(c.execute('PRAGMA integrity_check').fetchone()[0]);print(c.execute('SELECT COUNT(*) FROM responses').fetchone()[0]);print(c.execute('PRAGMA journal_mode').fetchone()[0])`;
  const r = spawnSync('python3', ['-c', py, db], { encoding: 'utf8' });
  assert.equal(r.status, 0, `no sqlite3 shell nor python3 sqlite3: ${r.stderr}`);
  const [check, rows, mode] = r.stdout.trim().split('\n');
  return { check, rows: Number(rows), mode };
}

function runBackup(args) {
  return new Promise((resolve) => {
    const child = spawn(collectorBinary, ['backup', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('backup under write load: consistent, complete up to its start, writers keep going', async () => {
  const dir = tempDir();
  const db = path.join(dir, 'live.db');
  const copy = path.join(dir, 'backup.db');
  // ~20 MB of seeded rows, so the copy takes several steps of the backup API.
  const collector = await startCollector({ db, args: ['--rate', '0', '--quiet', '--seed-demo', '40000'] });
  const acked = [];  // [id, when acknowledged]
  const latencies = [];
  let running = true;
  async function writer(w) {
    let n = 0;
    while (running) {
      const a = answer({ score: n % 11, attributes: { writer: String(w) } });
      n += 1;
      const t0 = performance.now();
      const res = await fetch(`${collector.base}/v1/responses`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(a),
      });
      await res.text();
      const t1 = performance.now();
      if (res.status === 202) acked.push([a.id, t1]);
      latencies.push([t0, t1 - t0]);
    }
  }
  try {
    const writers = [0, 1, 2, 3].map(writer);
    // Enough acknowledged answers first (a busy machine takes longer to reach them).
    for (let waited = 0; acked.length < 40 && waited < 10000; waited += 50) await sleep(50);
    const worstBefore = Math.max(...latencies.map(([, ms]) => ms));
    const before = acked.map(([id]) => id);
    const startedAt = performance.now();
    const b = await runBackup([copy, '--db', db]);
    const endedAt = performance.now();
    await sleep(200);
    running = false;
    await Promise.all(writers);

    assert.equal(b.code, 0, b.stderr);
    const m = /backed up .* to .*: (\d+) rows, last cursor (\d+), [\d.]+ MB in ([\d.]+) s \((\d+) steps\)/.exec(b.stdout);
    assert.ok(m, b.stdout);
    assert.ok(Number(m[4]) > 1, 'the copy went in several steps');
    assert.ok(before.length >= 40, `writers were acknowledged before the backup (${before.length})`);
    const during = acked.filter(([, t]) => t > startedAt && t < endedAt).length;
    assert.ok(during > 0, 'writes were acknowledged while the backup ran');
    const worst = Math.max(...latencies.filter(([t0]) => t0 > startedAt && t0 < endedAt).map(([, ms]) => ms), 0);
    console.log(`# backup: ${m[1]} rows (${m[4]} steps) in ${((endedAt - startedAt) / 1000).toFixed(2)} s; ${before.length} acked before, ` +
      `${during} acked during it, slowest write during it ${worst.toFixed(1)} ms (before it ${worstBefore.toFixed(1)} ms); ${acked.length} acked in all`);
    // Writers are never locked out: answers were acknowledged in both halves of the backup, and
    // no write waited anywhere near SQLite's 5 s busy timeout.
    const middle = (startedAt + endedAt) / 2;
    assert.ok(acked.some(([, t]) => t > startedAt && t < middle) && acked.some(([, t]) => t >= middle && t < endedAt),
      'acknowledged in the first and the second half of the backup');
    assert.ok(worst < 4000, `a write waited ${worst} ms during the backup`);

    const facts = inspect(copy);
    assert.equal(facts.check, 'ok');
    assert.equal(facts.rows, Number(m[1]));
    assert.equal(facts.mode, 'delete', 'one self-contained file, no -wal beside it');
    assert.equal(existsSync(`${copy}-wal`), false);
    assert.equal(existsSync(`${copy}.partial`), false);
    // A snapshot: at least what was acknowledged before, not more than was acknowledged by the end.
    assert.ok(facts.rows >= 40000 + before.length);
    assert.ok(facts.rows <= inspect(db).rows);

    // Restore = start a collector on the copy: every answer acknowledged before the backup is there.
    const restored = await startCollector({ db: copy, args: ['--quiet'] });
    try {
      const { items, cursor } = await readAll(restored.base, READ_KEY, { limit: 10000 });
      assert.equal(items.length, facts.rows);
      assert.equal(cursor, Number(m[2]));
      const ids = new Set(items.map((r) => r.id));
      const missing = before.filter((id) => !ids.has(id));
      assert.deepEqual(missing, [], 'acknowledged before the backup, missing from it');
    } finally {
      await restored.stop();
    }
  } finally {
    running = false;
    await collector.stop();
    removeDir(dir);
  }
});

test('backup: clear refusals and exit codes', async () => {
  const dir = tempDir();
  try {
    const db = path.join(dir, 'n.db');
    const c = await startCollector({ db, args: ['--quiet'] });
    await c.stop();
    const exists = path.join(dir, 'taken.db');
    writeFileSync(exists, 'keep me');
    const cases = [
      [[], 2, /backup needs the PATH/],
      [[path.join(dir, 'a.db'), '--db', path.join(dir, 'missing.db')], 2, /no database at .*missing\.db/],
      [[exists, '--db', db], 2, /exists; choose a new name/],
      [[path.join(dir, 'no', 'such', 'dir.db'), '--db', db], 2, /no folder/],
      [[path.join(dir, 'x.db'), '--db', db, '--force'], 2, /unknown option '--force'/],
      [[path.join(dir, 'x.db'), path.join(dir, 'y.db'), '--db', db], 2, /one PATH/],
      [[path.join(dir, 'x.db'), '--db', exists], 1, /not an npskit database|cannot read/],
    ];
    for (const [args, code, message] of cases) {
      const r = await runToExit(collectorBinary, ['backup', ...args]);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    // With the collector stopped (no -wal, no -shm) the copy works too, and --db= is accepted.
    const r = await runToExit(collectorBinary, ['backup', path.join(dir, 'cold.db'), `--db=${db}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(inspect(path.join(dir, 'cold.db')).check, 'ok');
    assert.match((await runToExit(collectorBinary, ['backup', '--help'])).stdout, /backup PATH/);
  } finally {
    removeDir(dir);
  }
});
