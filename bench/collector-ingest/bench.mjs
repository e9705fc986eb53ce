// Collector section of `npm run bench`: wrk ingest (acknowledged, fsynced answers) at 1, 16, 64
// and 256 connections; SSE fan-out (POST → event at every listener) to 100 and 2,000 listeners;
// the same with 500 hostile sockets open from 127.0.0.2 (each declares a 100 MB body, trickles
// it, and reconnects when closed). With NPSKIT_BUILD_NATIVE_BASELINE set to an older build
// folder (e.g. /work/main/build-native), that build is measured first in the same run.
//   node bench/collector-ingest/bench.mjs [--seconds 10] [--posts 100] [--only ingest|fanout] [--rounds N]
// --only measures one half and prints it without touching BENCHMARKS.md; --rounds N measures
// the builds N times, alternating (before, after, before, after, ...), to read the noise.
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { root, machine, writeSection } from '../lib/report.mjs';
import { startCollector, answer, READ_KEY } from '../../tests/integration/collector-harness.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : def; };
const seconds = opt('--seconds', 10), posts = opt('--posts', 100), rounds = opt('--rounds', 1);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : '';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const builds = [];
if (process.env.NPSKIT_BUILD_NATIVE_BASELINE) builds.push({ name: 'before', dir: path.resolve(process.env.NPSKIT_BUILD_NATIVE_BASELINE) });
builds.push({ name: 'after', dir: path.resolve(root, process.env.NPSKIT_BUILD_NATIVE || 'build-native') });
// NPSKIT_BENCH_IO_THREADS=N also measures this tree with --io-threads N (the default is 2).
if (process.env.NPSKIT_BENCH_IO_THREADS)
  builds.push({ name: `after, --io-threads ${process.env.NPSKIT_BENCH_IO_THREADS}`, dir: builds.at(-1).dir, args: ['--io-threads', process.env.NPSKIT_BENCH_IO_THREADS] });

const ms = (text) => {  // wrk latency "1.23ms", "850.00us", "1.02s"
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  return m ? Number(m[1]) * (m[2] === 'us' ? 1e-3 : m[2] === 's' ? 1e3 : 1) : NaN;
};

// 500 hostile sockets from 127.0.0.2 in a child process, until killed.
function startHostile(port) {
  return spawn(process.execPath, [path.join(root, 'bench/collector-ingest/hostile.cjs'), String(port)], { stdio: 'ignore' });
}

function wrk(dir, connections, extraEnv = {}, extraArgs = []) {
  const out = execFileSync('bash', [path.join(root, 'bench/collector-ingest/run.sh'), String(seconds), String(connections), 'full'],
    { cwd: root, encoding: 'utf8', env: { ...process.env, NPSKIT_BUILD_NATIVE: dir, NPSKIT_COLLECTOR_ARGS: extraArgs.join(' '), ...extraEnv } });
  const pct = (p) => ms((new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(out) || [])[1] || '');
  const acked = Number((/acknowledged: (\d+) of/.exec(out) || [])[1]);
  const cpu = /cpu: collector ([\d.]+) s, wrk ([\d.]+) s, ([\d.]+) us/.exec(out) || [];
  return { connections, acknowledged_per_s: acked / seconds, p50_ms: pct(50), p99_ms: pct(99),
    collector_cpu_s: Number(cpu[1]), wrk_cpu_s: Number(cpu[2]), collector_cpu_us_per_answer: Number(cpu[3]), load: os.loadavg()[0] };
}

// Listeners in a worker thread (their sockets do not share the poster's event loop); arrival
// times in performance.timeOrigin + now() milliseconds, comparable across threads.
const LISTENERS = `
const net = require('node:net');
const { parentPort, workerData: { port, n, key } } = require('node:worker_threads');
const now = () => performance.timeOrigin + performance.now();
const socks = [];
const arrivals = new Map();  // id -> times
for (let i = 0; i < n; i++) {
  const s = { buf: '', started: false };
  s.socket = net.connect({ port, host: '127.0.0.1' });
  s.socket.setEncoding('utf8');
  s.socket.on('error', () => {});
  s.socket.on('data', (d) => {
    const t = now();
    s.buf += d;
    if (!s.started && s.buf.includes('npskit stream from')) s.started = true;
    let at;
    while ((at = s.buf.indexOf('"id":"')) >= 0) {
      const end = s.buf.indexOf('"', at + 6);
      if (end < 0) break;
      const id = s.buf.slice(at + 6, end);
      s.buf = s.buf.slice(end);
      if (!arrivals.has(id)) arrivals.set(id, []);
      arrivals.get(id).push(t);
    }
    if (s.buf.length > 4096) s.buf = s.buf.slice(-64);
  });
  s.socket.write('GET /v1/stream HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Bearer ' + key + '\\r\\n\\r\\n');
  socks.push(s);
}
const deadline = Date.now() + 20000;
const check = setInterval(() => {
  const started = socks.filter((s) => s.started).length;
  if (started === n || Date.now() > deadline) { clearInterval(check); parentPort.postMessage({ started }); }
}, 50);
parentPort.on('message', () => parentPort.postMessage({ arrivals: [...arrivals] }));
`;

async function fanout(dir, listeners, hostile, extraArgs = []) {
  // The old build holds a thread per stream: give it enough for the listeners.
  const c = await startCollector({ args: ['--rate', '0', '--quiet', '--threads', String(Math.max(64, listeners + 32)), ...extraArgs],
    binary: path.join(dir, 'npskit-collector') });
  const h = hostile ? startHostile(c.port) : null;
  const worker = new Worker(LISTENERS, { eval: true, workerData: { port: c.port, n: listeners, key: READ_KEY } });
  const next = () => new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  const opened = next();  // listening before anything can be posted, so no message is lost
  try {
    if (h) await sleep(1000);
    const { started } = await opened;
    if (started < listeners) return { listeners, hostile, error: `${started} of ${listeners} streams opened` };
    const sent = new Map();
    for (let i = 0; i < posts; i++) {
      const a = answer();
      sent.set(a.id, performance.timeOrigin + performance.now());
      const res = await fetch(`${c.base}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(a), signal: AbortSignal.timeout(5000) }).catch(() => null);
      if (!res || res.status !== 202) return { listeners, hostile, error: `POST ${i + 1} ${res ? 'got ' + res.status : 'timed out (5 s)'}` };
      await res.text();
      await sleep(10);
    }
    await sleep(1500);
    worker.postMessage('report');
    const { arrivals } = await next();
    const got = new Map(arrivals);
    const lags = [];
    let missing = 0;
    for (const [id, t0] of sent) {
      const times = got.get(id) || [];
      missing += listeners - times.length;
      for (const t of times) lags.push(t - t0);
    }
    lags.sort((a, b) => a - b);
    const q = (p) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))];
    return { listeners, hostile, deliveries: lags.length, missing, p50_ms: q(50), p99_ms: q(99), max_ms: lags[lags.length - 1] };
  } finally {
    await worker.terminate();
    h?.kill();
    await c.stop();
    c.cleanup();
  }
}

// wrk at 64 connections with the hostile sockets: run.sh starts them against its own collector
// when NPSKIT_BENCH_HOSTILE is set.
const results = [];
for (let round = 0; round < rounds; ++round) {
  for (const b of builds) {
    const r = { build: rounds > 1 ? `${b.name} (${round + 1})` : b.name, dir: b.dir, load: os.loadavg()[0], ingest: [], fanout: [] };
    if (only !== 'fanout') {
      for (const connections of [1, 16, 64, 256]) {
        r.ingest.push({ ...wrk(b.dir, connections, {}, b.args), hostile: false });
        console.error(`${r.build} c=${connections}:`, JSON.stringify(r.ingest.at(-1)));
      }
      r.ingest.push({ ...wrk(b.dir, 64, { NPSKIT_BENCH_HOSTILE: '1' }, b.args), hostile: true });
      console.error(`${r.build} c=64 hostile:`, JSON.stringify(r.ingest.at(-1)));
    }
    if (only !== 'ingest') {
      for (const [listeners, hostile] of [[100, false], [2000, false], [100, true], [2000, true]]) {
        let f;
        try { f = await fanout(b.dir, listeners, hostile, b.args); } catch (e) { f = { listeners, hostile, error: String(e.message || e).slice(0, 120) }; }
        r.fanout.push(f);
        console.error(`${r.build} fan-out:`, JSON.stringify(f));
      }
    }
    results.push(r);
  }
}

const f = (x, d = 1) => (Number.isFinite(x) ? Number(x).toFixed(d) : '–');
const n = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
let md = `## Collector: ingest and live fan-out

\`npm run bench -- collector\` (\`node bench/collector-ingest/bench.mjs --seconds ${seconds} --posts ${posts}\`), ${machine().cores} cores
shared by wrk, node and the collector on loopback (load average at the start: ${os.loadavg()[0].toFixed(1)}). Each request POSTs a new
schema v1 answer; it counts as acknowledged only on 202, sent after its row is committed (SQLite
WAL, synchronous=FULL, group commit). "hostile": 500 sockets from 127.0.0.2, each declaring
\`Content-Length: 100000000\`, trickling 10 bytes every 2 s, reconnecting 100 ms after a close.
${builds.length > 1 ? `Builds: before = \`${builds[0].dir}\`, after = this tree, same run${rounds > 1 ? `, ${rounds} rounds alternating` : ''}.` : 'Build: this tree.'}

CPU: seconds of CPU the collector (all its threads) and wrk used during the ${seconds} s run, of the
${2 * seconds} s the 2 cores had (the rest went to other processes); "µs/answer" is the collector's CPU per
acknowledged answer, the figure the machine's load moves least. "load": the 1-minute load average
as that run ended.

| build | connections | hostile | acknowledged/s | p50 | p99 | collector CPU | wrk CPU | µs/answer | load |
|---|---:|---|---:|---:|---:|---:|---:|---:|---:|
`;
for (const r of results)
  for (const i of r.ingest)
    md += `| ${r.build} | ${i.connections} | ${i.hostile ? 'yes' : ''} | ${n(i.acknowledged_per_s)} | ${f(i.p50_ms, 2)} ms | ${f(i.p99_ms, 2)} ms | ${f(i.collector_cpu_s)} s | ${f(i.wrk_cpu_s)} s | ${f(i.collector_cpu_us_per_answer, 0)} | ${f(i.load)} |\n`;
md += `
Fan-out: ${posts} answers POSTed 10 ms apart; POST sent → event received at each listener.

| build | listeners | hostile | deliveries | missing | p50 | p99 | max |
|---|---:|---|---:|---:|---:|---:|---:|
`;
for (const r of results)
  for (const x of r.fanout)
    md += x.error
      ? `| ${r.build} | ${n(x.listeners)} | ${x.hostile ? 'yes' : ''} | failed: ${x.error} | | | | |\n`
      : `| ${r.build} | ${n(x.listeners)} | ${x.hostile ? 'yes' : ''} | ${n(x.deliveries)} | ${n(x.missing)} | ${f(x.p50_ms, 2)} ms | ${f(x.p99_ms, 2)} ms | ${f(x.max_ms, 2)} ms |\n`;
if (!only) writeSection('collector', md, { machine: machine(), results });
console.log(md);
