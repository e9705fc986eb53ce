// How long from sending a POST to the row's event on an open /v1/stream, over N sequential posts
// (each waits for its fsync'ed commit), next to the POST's own time to 202.
//   node bench/collector-ingest/stream-latency.mjs [N=300]   (env NPSKIT_BUILD_NATIVE)
import { startCollector, answer, READ_KEY } from '../../tests/integration/collector-harness.mjs';

const n = Number(process.argv[2] || 300);
const c = await startCollector({ args: ['--rate', '0', '--quiet'] });
const controller = new AbortController();
const arrived = new Map();
const res = await fetch(`${c.base}/v1/stream`, { headers: { Authorization: `Bearer ${READ_KEY}` }, signal: controller.signal });
const reading = (async () => {
  let buf = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body) {
      const now = performance.now();
      buf += decoder.decode(chunk, { stream: true });
      let sep;
      while ((sep = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, sep);
        buf = buf.slice(sep + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) arrived.set(JSON.parse(data.slice(6)).id, now);
      }
    }
  } catch { /* aborted */ }
})();
await new Promise((r) => setTimeout(r, 200));
const lags = [], posts = [];
for (let i = 0; i < n; i++) {
  const a = answer();
  const sent = performance.now();
  const r = await fetch(`${c.base}/v1/responses`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(a) });
  await r.text();
  posts.push(performance.now() - sent);
  while (!arrived.has(a.id)) await new Promise((r) => setTimeout(r, 1));
  lags.push(arrived.get(a.id) - sent);
}
controller.abort();
await reading;
await c.stop();
c.cleanup();
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]; };
const f = (x) => x.toFixed(2);
console.log(`${n} posts: POST→202 p50 ${f(pct(posts, 50))} ms, p99 ${f(pct(posts, 99))} ms; POST→event p50 ${f(pct(lags, 50))} ms, p99 ${f(pct(lags, 99))} ms, max ${f(Math.max(...lags))} ms`);
