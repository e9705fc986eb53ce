// The attribute-key flood probe of issue 13 (item 3), as figures: N POSTs, each with 32 attribute
// keys never seen before, 16 at a time; then collector RSS (from /proc) and the time of the first
// /v1/aggregate (which loads every row into the store). --surveys fresh gives every POST a survey
// of its own: the worst case for the per-survey key cap (1,000 surveys × 64 keys before the
// survey dictionary's "(other)").
//   node bench/collector-ingest/key-flood.mjs [--posts 4000] [--surveys one|fresh]   (NPSKIT_BUILD_NATIVE=DIR)
import { readFileSync } from 'node:fs';
import { startCollector, newId, post, READ_KEY } from '../../tests/integration/collector-harness.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const posts = Number(opt('--posts', 4000)), surveys = opt('--surveys', 'one');
const rssMb = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

const c = await startCollector({ args: ['--rate', '0', '--quiet'] });
try {
  let next = 0;
  async function worker() {
    while (next < posts) {
      const i = next++;
      const attributes = {};
      for (let k = 0; k < 32; ++k) attributes[`k${i}x${k}`] = `v${k}`;
      const survey = surveys === 'fresh' ? `survey-${i}` : 'product-nps';
      const r = await post(c.base, { v: 1, id: newId('keys'), survey, score: i % 11, ts: '2026-03-02T10:00:00Z', attributes });
      if (r.status !== 202) throw new Error(`POST ${i}: ${r.status}`);
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker));
  const started = performance.now();
  const agg = await fetch(`${c.base}/v1/aggregate?by=survey`, { headers: { Authorization: `Bearer ${READ_KEY}` } }).then((r) => r.json());
  const seconds = (performance.now() - started) / 1000;
  const again = performance.now();
  await fetch(`${c.base}/v1/aggregate?by=k0x0`, { headers: { Authorization: `Bearer ${READ_KEY}` } }).then((r) => r.json());
  console.log(JSON.stringify({ posts, surveys, rss_mb: +rssMb(c.child.pid).toFixed(1), aggregate_s: +seconds.toFixed(3),
    second_aggregate_s: +((performance.now() - again) / 1000).toFixed(3), note: agg.note }));
} finally {
  await c.stop();
  c.cleanup();
}
