// Collector section of `npm run bench`: wrk ingest (acknowledged, fsynced answers) at 1, 16
// and 64 connections, and SSE fan-out: one POST delivered to 100 open /v1/stream listeners.
//   node bench/collector-ingest/bench.mjs [--seconds 10] [--listeners 100] [--posts 200]
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { root, machine, stats, writeSection } from '../lib/report.mjs';
import { startCollector, answer, READ_KEY } from '../../tests/integration/collector-harness.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : def; };
const seconds = opt('--seconds', 10), listeners = opt('--listeners', 100), posts = opt('--posts', 200);

const ms = (text) => {  // wrk latency "1.23ms", "850.00us", "1.02s"
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  return m ? Number(m[1]) * (m[2] === 'us' ? 1e-3 : m[2] === 's' ? 1e3 : 1) : NaN;
};

const ingest = [];
for (const connections of [1, 16, 64]) {
  const out = execFileSync('bash', [path.join(root, 'bench/collector-ingest/run.sh'), String(seconds), String(connections), 'full'],
    { cwd: root, encoding: 'utf8', env: process.env });
  const pct = (p) => ms((new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(out) || [])[1] || '');
  const rps = Number((/Requests\/sec:\s+([\d.]+)/.exec(out) || [])[1]);
  const acked = Number((/acknowledged: (\d+) of/.exec(out) || [])[1]);
  ingest.push({ connections, requests_per_s: rps, acknowledged: acked, p50_ms: pct(50), p90_ms: pct(90), p99_ms: pct(99) });
  console.error(`wrk c=${connections}: ${rps} req/s, p50 ${pct(50)} ms, p99 ${pct(99)} ms`);
}

// Fan-out: every listener must receive every posted answer; latency per (answer, listener).
const c = await startCollector({ args: ['--rate', '0', '--quiet', '--threads', String(listeners + 32)] });
const arrivals = new Map();  // id → [times]
const sockets = [];
await Promise.all(Array.from({ length: listeners }, () => new Promise((resolve, reject) => {
  const req = http.get(`${c.base}/v1/stream?access_token=${READ_KEY}`, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      const now = performance.now();
      buf += chunk;
      let sep;
      while ((sep = buf.indexOf('\n\n')) >= 0) {
        const data = buf.slice(0, sep).split('\n').find((l) => l.startsWith('data: '));
        buf = buf.slice(sep + 2);
        if (data) {
          const id = JSON.parse(data.slice(6)).id;
          if (!arrivals.has(id)) arrivals.set(id, []);
          arrivals.get(id).push(now);
        }
      }
    });
    resolve();
  });
  req.on('error', reject);
  sockets.push(req);
})));
await new Promise((r) => setTimeout(r, 300));
const lags = [];
for (let i = 0; i < posts; i++) {
  const a = answer();
  const sent = performance.now();
  await (await fetch(`${c.base}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(a) })).text();
  const deadline = performance.now() + 5000;
  while ((arrivals.get(a.id)?.length ?? 0) < listeners && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  const got = arrivals.get(a.id) ?? [];
  if (got.length < listeners) throw new Error(`answer ${a.id} reached ${got.length} of ${listeners} listeners`);
  for (const t of got) lags.push(t - sent);
}
for (const s of sockets) s.destroy();
await c.stop();
c.cleanup();
const sorted = [...lags].sort((a, b) => a - b);
const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fanout = { listeners, posts, deliveries: lags.length, p50_ms: q(50), p99_ms: q(99), max_ms: sorted[sorted.length - 1] };

const f = (x, d = 1) => Number(x).toFixed(d);
let md = `## Collector: ingest and live fan-out

\`npm run bench -- collector\` (or \`node bench/collector-ingest/bench.mjs --seconds ${seconds}\`), ${machine().cores} cores
shared by wrk and the collector on loopback. Each request POSTs a new schema v1 answer; a 202 is
sent only after its row is committed (SQLite WAL, synchronous=FULL, group commit).

| connections | acknowledged answers/s | p50 | p90 | p99 |
|---:|---:|---:|---:|---:|
`;
for (const r of ingest) md += `| ${r.connections} | ${Math.round(r.requests_per_s).toLocaleString('en-US')} | ${f(r.p50_ms, 2)} ms | ${f(r.p90_ms, 2)} ms | ${f(r.p99_ms, 2)} ms |\n`;
md += `
Fan-out: ${posts} answers POSTed one after another to a collector with ${listeners} open
\`/v1/stream\` listeners; all ${fanout.deliveries.toLocaleString('en-US')} deliveries arrived. POST → event
at every listener: p50 ${f(fanout.p50_ms, 2)} ms, p99 ${f(fanout.p99_ms, 2)} ms, max ${f(fanout.max_ms, 2)} ms (goal: within 100 ms).
`;
writeSection('collector', md, { machine: machine(), ingest, fanout });
console.log(md);
