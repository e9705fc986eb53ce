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

test('score draws bytes read of the total, a rate and an ETA on a terminal', () => {
  const dir = tempDir('npskit-progress-');
  try {
    const file = path.join(dir, 'answers.ndjson');
    for (let rows = 200000; rows <= 3200000; rows *= 2) {
      const gen = spawnSync('sh', ['-c', `${cliBinary} generate --no-display --rows ${rows} > ${file}`], { encoding: 'utf8' });
      assert.equal(gen.status, 0, gen.stderr);
      const typescript = path.join(dir, 'typescript');
      const started = Date.now();
      const run = spawnSync('script', ['-qfec', `${cliBinary} score ${file} > ${path.join(dir, 'out.json')}`, typescript],
        { encoding: 'utf8', timeout: 60000 });
      const seconds = (Date.now() - started) / 1000;
      assert.equal(run.status, 0, run.stderr);
      if (seconds < 1.5) continue;
      const screen = readFileSync(typescript, 'latin1');
      const drawn = screen.split('\r').filter((l) => l.startsWith('npskit score: '));
      assert.ok(drawn.length >= 1, `a progress line after ${seconds} s; got ${JSON.stringify(screen.slice(0, 300))}`);
      assert.match(drawn[0], /^npskit score: \d+ MB of \d+ MB, [\d,]+ rows \(\d+ %\), \d+ MB\/s, ETA \d+ s/);
      assert.equal(JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')).n, rows, 'the report itself is unchanged');
      return;
    }
    assert.fail('score never lasted 1.5 s');
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
