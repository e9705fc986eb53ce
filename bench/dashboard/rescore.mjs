// The dashboard's re-score at 10^6 answers with comments (every panel, the themes and drivers,
// the theme filter and its share), natively and in wasm under node: bench/dashboard/rescore_bench.
//   node bench/dashboard/rescore.mjs [ROWS] [REPS]   (env NPSKIT_BUILD_NATIVE, NPSKIT_BUILD_WEB)
//   NPSKIT_BUILD_NATIVE_BASELINE / NPSKIT_BUILD_WEB_BASELINE=<an older build dir>: its re-score in
//   the same run, first. A build without rescore_bench is measured with `scoring_bench --text`
//   (its whole report with no text and with "slow"; it has no theme filter).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { machine } from '../lib/report.mjs';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const ROWS = process.argv[2] || '1000000';
const REPS = process.argv[3] || '7';
const run = (cmd, args) => JSON.parse(execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').pop());

function measure(dir, wasm) {
  const bench = join(resolve(ROOT, dir), 'bench');
  const exe = (name) => join(bench, wasm ? `${name}.js` : name);
  const go = (name, args) => (wasm ? run(process.execPath, [exe(name), ...args]) : run(exe(name), args));
  if (existsSync(exe('rescore_bench'))) return { tool: 'rescore_bench', ...go('rescore_bench', [ROWS, REPS]) };
  if (!existsSync(exe('scoring_bench'))) return null;
  const r = go('scoring_bench', ['--text', ROWS, REPS, '', 'slow']);
  return { tool: 'scoring_bench --text (best of reps)', n: r.n,
    rescore: r.texts.map((t) => ({ hash: t.text ? `q=${t.text}` : '', n: t.n, min_ms: t.report_ms })) };
}

const result = { rows: Number(ROWS), reps: Number(REPS), machine: machine() };
for (const [name, dir, wasm] of [
  ['native_baseline', process.env.NPSKIT_BUILD_NATIVE_BASELINE, false],
  ['wasm_baseline', process.env.NPSKIT_BUILD_WEB_BASELINE, true],
  ['native', process.env.NPSKIT_BUILD_NATIVE || 'build-native', false],
  ['wasm', process.env.NPSKIT_BUILD_WEB || 'build-web', true],
]) {
  if (!dir) continue;
  result[name] = measure(dir, wasm);
  result[name + '_loadavg'] = (await import('node:os')).loadavg();
  console.error(name, JSON.stringify(result[name]));
}
console.log(JSON.stringify(result, null, 1));
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', `dashboard-rescore-${ROWS}.json`), JSON.stringify(result, null, 2) + '\n');
