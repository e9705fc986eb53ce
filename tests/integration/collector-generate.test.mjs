// `npskit generate`, the demo data the collector seeds with: same options → same bytes,
// every line valid schema v1 by `npskit validate`, counts and options honoured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { cliBinary, runToExit, tempDir, removeDir } from './collector-harness.mjs';

test('npskit generate is deterministic, valid and honours --rows/--seed/--months/--no-display', async () => {
  const dir = tempDir();
  try {
    const a = await runToExit(cliBinary, ['generate', '--rows', '400', '--seed', '9', '--months', '3']);
    const b = await runToExit(cliBinary, ['generate', '--rows', '400', '--seed', '9', '--months', '3']);
    const other = await runToExit(cliBinary, ['generate', '--rows', '400', '--seed', '10', '--months', '3']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    assert.notEqual(a.stdout, other.stdout);
    const lines = a.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.filter((l) => l.type === 'response').length, 400);
    assert.ok(lines.filter((l) => l.type === 'shown').length > 400);
    const times = lines.map((l) => Date.parse(l.ts));
    assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]), 'time order');
    assert.ok(times.at(-1) - times[0] > 80 * 86400e3 && times.at(-1) - times[0] < 95 * 86400e3);
    assert.match(a.stderr, /400 responses/);

    const file = path.join(dir, 'g.ndjson');
    writeFileSync(file, a.stdout);
    const v = await runToExit(cliBinary, ['validate', file]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.deepEqual(JSON.parse(v.stdout.trim().split('\n').at(-1)), { valid: lines.length, invalid: 0 });

    const only = await runToExit(cliBinary, ['generate', '--rows', '25', '--no-display', '--end', '2026-06-01']);
    const onlyLines = only.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(onlyLines.length, 25);
    assert.ok(onlyLines.every((l) => l.type === 'response' && Date.parse(l.ts) < Date.parse('2026-06-01T00:00:00Z')));

    const bad = await runToExit(cliBinary, ['generate', '--months', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--months must be from 1 to 120/);
  } finally { removeDir(dir); }
});
