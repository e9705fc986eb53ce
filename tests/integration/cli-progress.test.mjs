// The CLI's progress on long work: drawn on stderr in place when stderr is a terminal (run
// under script(1)'s pseudo-terminal) and the work lasts over a second, cleared at the end;
// nothing at all when stderr is piped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cliBinary, tempDir, removeDir } from './collector-harness.mjs';

test('generate draws progress on a terminal after a second, then clears it', () => {
  const dir = tempDir('npskit-progress-');
  try {
    // Enough rows to last over a second on this machine (doubled until it does).
    for (let rows = 400000; rows <= 6400000; rows *= 2) {
      const typescript = path.join(dir, 'typescript');
      const started = Date.now();
      const run = spawnSync('script', ['-qfec', `${cliBinary} generate --no-display --rows ${rows} > /dev/null`, typescript],
        { encoding: 'utf8', timeout: 60000 });
      const seconds = (Date.now() - started) / 1000;
      assert.equal(run.status, 0, run.stderr);
      const screen = readFileSync(typescript, 'latin1');
      if (seconds < 1.5) continue;
      const drawn = screen.split('\r').filter((l) => l.startsWith('npskit generate: ') && l.includes(' rows'));
      assert.ok(drawn.length >= 1, `a progress line after ${seconds} s; got ${JSON.stringify(screen.slice(0, 300))}`);
      assert.match(drawn[0], new RegExp(`^npskit generate: .* of ${rows.toLocaleString('en-US')} rows \\(\\d+ %\\), .*/s, ETA \\d+ s`));
      assert.match(screen, /\r\x1b\[Knpskit generate: \d+ responses/, 'the line is cleared before the summary');
      return;
    }
    assert.fail('generate never lasted 1.5 s');
  } finally {
    removeDir(dir);
  }
});

test('nothing but the summary when stderr is piped', () => {
  const run = spawnSync(cliBinary, ['generate', '--no-display', '--rows', '300000'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(run.status, 0);
  assert.doesNotMatch(run.stderr, /\r|\x1b/);
  assert.match(run.stderr, /^npskit generate: 300000 responses/);
});
