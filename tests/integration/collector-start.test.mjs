// `npm start` (scripts/start) without the build step: seeds an empty database, prints the
// demo and dashboard URLs (with a read key that works), and stops cleanly on Ctrl-C.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, buildNative, tempDir, removeDir } from './collector-harness.mjs';

test('scripts/start seeds, prints both URLs, serves them, and Ctrl-C stops it', async () => {
  const dir = tempDir();
  const db = path.join(dir, 'demo.db');
  // detached: its own process group, so a group SIGINT is what a terminal's Ctrl-C does.
  const child = spawn('bash', [path.join(repoRoot, 'scripts/start')], {
    cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NPSKIT_START_SKIP_BUILD: '1', NPSKIT_BUILD_NATIVE: buildNative, NPSKIT_PORT: '0',
      NPSKIT_DB: db, NPSKIT_SEED: '800', NPSKIT_READ_KEY: '' },
  });
  let out = '', err = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  try {
    const deadline = Date.now() + 30000;
    while (!/dashboard:/.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no URLs printed:\n${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const demo = out.match(/demo app:\s+(http:\/\/127\.0\.0\.1:\d+\/examples\/saas-demo\/)/);
    const dash = out.match(/dashboard:\s+(http:\/\/127\.0\.0\.1:(\d+)\/dashboard\/)#key=([A-Za-z0-9]+)/);
    assert.ok(demo, out);
    assert.ok(dash, out);
    const [, , port, key] = dash;
    assert.equal(key, readFileSync(path.join(dir, 'read-key'), 'utf8'));
    assert.match(out, /seeded with 800 demo answers/);
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    // The key in the dashboard link reads the seeded data.
    const agg = await fetch(`${base}/v1/aggregate?by=month`, { headers: { Authorization: `Bearer ${key}` } }).then((r) => r.json());
    assert.equal(agg.total.histogram.reduce((s, v) => s + v, 0), 800);
    assert.ok(agg.total.shown > 800);
    assert.ok(agg.groups.length >= 12);
  } finally {
    if (child.exitCode === null) process.kill(-child.pid, 'SIGINT');
  }
  const { code } = await exited;
  assert.equal(code, 0, err);
  assert.match(out, /npskit stopped/);
  const log = readFileSync(path.join(dir, 'collector.log'), 'utf8');
  assert.match(log, /"msg":"stopped"/);
  removeDir(dir);
});
