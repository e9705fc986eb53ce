// Webhooks section of `npm run bench` (issue 15, item 8): acknowledged answers/s with 0, 1 and
// 3 webhook endpoints in one run (alternating, `--rounds` times; the outbox's goal: ≤ 15 % fewer
// than none), how long the backlog takes to drain after wrk stops, and delivery latency p50/p99
// from the 202 to the receiver for answers POSTed 10 ms apart.
//   node bench/collector-ingest/webhooks.mjs [--seconds 5] [--connections 64] [--rounds 2] [--posts 200]
// NPSKIT_BUILD_NATIVE_BASELINE=DIR: the same configurations with DIR/npskit-collector too,
// interleaved (old beside new in one run). The receiver of the ingest runs is nginx (one worker,
// `return 200`, at nice 10) when installed: the cheapest HTTP server at hand, so that the figure
// is the collector's cost rather than the receiver's on the same 2 cores; node otherwise.
// NPSKIT_BENCH_RECEIVER_IDLE=1: nginx in the idle scheduling class (chrt -i 0) instead of nice
// 10, closer still to a receiver on another machine (it runs only on CPU nobody else wants).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root, machine, writeSection } from '../lib/report.mjs';
import { startCollector, answer, collectorBinary, READ_KEY } from '../../tests/integration/collector-harness.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : def; };
const seconds = opt('--seconds', 5), connections = opt('--connections', 64), rounds = opt('--rounds', 2), posts = opt('--posts', 200);
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

// One receiver for every endpoint (paths /0, /1, /2): 200 at once, arrival time by response id.
const arrivals = new Map();
let received = 0;
const receiver = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    received += 1;
    if (req.url.startsWith('/gone')) { res.writeHead(410); res.end(); return; }
    const m = /"data":\{"id":"([^"]+)"/.exec(body);
    if (m && !arrivals.has(m[1])) arrivals.set(m[1], now());
    res.writeHead(200);
    res.end();
  });
});
receiver.keepAliveTimeout = 60000;
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const nodePort = receiver.address().port;

// nginx: /gone* answers 410, the rest 200; /status (stub_status) counts the requests.
const freePort = () => new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
let nginx = null;
const nginxBin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
if (nginxBin && !process.env.NPSKIT_BENCH_NODE_RECEIVER) {
  const dir = mkdtempSync(path.join(tmpdir(), 'npskit-nginx-'));
  const port = await freePort();
  writeFileSync(path.join(dir, 'nginx.conf'), `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 100000000; keepalive_timeout 120s;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port}; location /gone { return 410; } location = /status { stub_status; } location / { return 200; } }
}
`);
  // At nice 10, like the collector's sender threads: in production the receiver is another
  // machine, so here it takes the CPU that ingestion leaves rather than an equal share of it.
  const child = process.env.NPSKIT_BENCH_RECEIVER_IDLE ? spawn('chrt', ['-i', '0', nginxBin, '-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' }) : spawn('nice', ['-n', '10', nginxBin, '-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 100; ++i) {
    try { if ((await fetch(`http://127.0.0.1:${port}/status`)).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  nginx = { child, port, dir };
}
const rxPort = nginx ? nginx.port : nodePort;
// Requests the ingest receiver has answered so far (nginx: stub_status minus the status reads).
let statusReads = 0;
async function receivedSoFar() {
  if (!nginx) return received;
  const text = await (await fetch(`http://127.0.0.1:${nginx.port}/status`)).text();
  statusReads += 1;
  return Number(text.split('\n')[2].trim().split(/\s+/)[2]) - statusReads;
}
const builds = [{ name: 'new', binary: collectorBinary }];
if (process.env.NPSKIT_BUILD_NATIVE_BASELINE) builds.unshift({ name: 'old', binary: path.join(path.resolve(process.env.NPSKIT_BUILD_NATIVE_BASELINE), 'npskit-collector') });

// mode: sent (the receiver answers 200: outbox rows written and delivered while wrk runs);
// held (the receiver answers 410 to the first request, which disables the endpoint: outbox
// rows written, nothing more sent, so the figure is the outbox's own cost).
const hookArgs = (n, mode) => Array.from({ length: n }, (_, i) => ['--webhook', `http://127.0.0.1:${rxPort}/${mode === 'held' ? 'gone' : 'ok'}${i}`,
  '--webhook-secret', SECRET]).flat();
// CPU seconds of the collector's webhook threads (named webhook-N) from /proc.
const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
// CPU seconds of the whole collector process: steadier than answers/s on a shared machine.
function processCpuS(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / ticks;
}
function senderCpuS(pid) {
  let sum = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (!readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').startsWith('webhook-')) continue;
      const f = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8').split(') ')[1].split(' ');
      sum += (Number(f[11]) + Number(f[12])) / ticks;
    } catch { /* thread ended */ }
  }
  return sum;
}

const pending = async (c) => {
  const res = await fetch(`${c.base}/v1/webhooks`, { headers: { Authorization: `Bearer ${READ_KEY}` } });
  const log = await res.json();
  return log.endpoints.reduce((sum, e) => sum + e.counts.pending, 0);
};

// Asynchronous: the receiver (this process) keeps answering while wrk runs.
async function wrk(port) {
  const threads = Math.min(2, connections);
  const out = await new Promise((resolve, reject) => execFile('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '-s',
    path.join(root, 'bench/collector-ingest/post.lua'), `http://127.0.0.1:${port}/`], { encoding: 'utf8' },
    (err, stdout) => (err ? reject(err) : resolve(stdout))));
  const acked = Number((/acknowledged: (\d+) of/.exec(out) || [])[1]);
  return acked / seconds;
}

async function ingest(n, mode, build) {
  const c = await startCollector({ binary: build.binary, args: ['--quiet', '--rate', '0', '--threads', String(connections + 16), ...hookArgs(n, mode)] });
  try {
    const before = await receivedSoFar();
    const cpu0 = process.cpuUsage();
    const own0 = processCpuS(c.child.pid);
    const perS = await wrk(c.port);
    const ownWrk = processCpuS(c.child.pid) - own0;
    const duringWrk = (await receivedSoFar()) - before;
    let drainS = null, left = null;
    if (n > 0 && mode === 'sent') {
      // Every acknowledged answer owes n deliveries: time until the receiver has them all (at
      // most 60 s), then the log must show none pending. The receiver's count is polled, not the
      // log: a read of the log fans out every delivery owed, which a sender does not do alone.
      const t = now(), owed = Math.round(perS * seconds) * n;
      for (;;) {
        if ((await receivedSoFar()) - before >= owed) { drainS = (now() - t) / 1000; left = await pending(c); break; }
        if (now() - t > 60000) { left = await pending(c); break; }
        await sleep(100);
      }
    }
    // held: the log's counts fan out every delivery owed first (SQLite: outbox rows made from
    // the one row per answer written at ingestion), so the CPU "with drain" includes that work.
    if (n > 0 && mode === 'held') left = await pending(c);
    const cpu = process.cpuUsage(cpu0);
    const ownAll = processCpuS(c.child.pid) - own0;
    const acked = perS * seconds;
    const delivered = (await receivedSoFar()) - before;
    return { build: build.name, webhooks: n, mode, acknowledged_per_s: Math.round(perS), drain_s: drainS, pending_left: left, delivered, delivered_during_wrk: duringWrk,
             collector_cpu_us_per_answer: (ownWrk * 1e6) / acked, collector_cpu_us_per_answer_with_drain: (ownAll * 1e6) / acked,
             sender_cpu_us_per_delivery: delivered > 10 ? (senderCpuS(c.child.pid) * 1e6) / delivered : null,
             receiver_cpu_us_per_request: delivered > 10 && !nginx ? (cpu.user + cpu.system) / delivered : null };
  } finally {
    await c.stop();
  }
}

async function latency(build) {
  // The node receiver: it notes each answer's arrival time.
  const c = await startCollector({ binary: build.binary, args: ['--quiet', '--rate', '0', '--webhook', `http://127.0.0.1:${nodePort}/ok0`, '--webhook-secret', SECRET] });
  const lat = [];
  try {
    const acks = new Map();
    for (let i = 0; i < posts; ++i) {
      const a = answer({ score: i % 11, ts: new Date().toISOString() });
      const res = await fetch(`${c.base}/v1/responses`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(a) });
      await res.text();
      if (res.status === 202) acks.set(a.id, now());
      await sleep(10);
    }
    const until = now() + 10000;
    while ([...acks.keys()].some((id) => !arrivals.has(id)) && now() < until) await sleep(20);
    for (const [id, t] of acks) if (arrivals.has(id)) lat.push(arrivals.get(id) - t);
  } finally {
    await c.stop();
  }
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))];
  return { build: build.name, posts, delivered: lat.length, p50_ms: q(0.5), p99_ms: q(0.99), max_ms: lat[lat.length - 1] };
}

const load = (await import('node:os')).loadavg()[0];
const runs = [];
// NPSKIT_BENCH_WEBHOOK_CONFIGS="1:sent,3:held" runs only those (to profile one of them).
const configs = process.env.NPSKIT_BENCH_WEBHOOK_CONFIGS
  ? process.env.NPSKIT_BENCH_WEBHOOK_CONFIGS.split(',').map((c) => { const [n, mode] = c.split(':'); return [Number(n), mode || 'none']; })
  : [[0, 'none'], [1, 'held'], [3, 'held'], [1, 'sent'], [3, 'sent']];
for (let r = 0; r < rounds; ++r) for (const [n, mode] of configs) for (const build of builds) {
  const result = await ingest(n, mode, build);
  console.log(JSON.stringify(result));
  runs.push(result);
}
const lats = [];
for (const build of builds) {
  lats.push(await latency(build));
  console.log(JSON.stringify(lats[lats.length - 1]));
}
receiver.close();
if (nginx) { nginx.child.kill('SIGTERM'); await new Promise((r) => nginx.child.on('exit', r)); rmSync(nginx.dir, { recursive: true, force: true }); }

const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const by = (b, n, mode) => runs.filter((x) => x.build === b && x.webhooks === n && x.mode === mode);
const fmt = (x) => Math.round(x).toLocaleString('en-US');
const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
const command = `node bench/collector-ingest/webhooks.mjs --seconds ${seconds} --connections ${connections} --rounds ${rounds} --posts ${posts}`;
let md = `## Collector: webhooks from the outbox (issue 15)

\`npm run bench -- webhooks\` (\`${builds.length > 1 ? 'NPSKIT_BUILD_NATIVE_BASELINE=OLD ' : ''}${command}\`),
${machine().cores} cores shared by wrk, the receiver and the collector on loopback (load average at the start: ${load.toFixed(1)}).
wrk POSTs new answers (every one qualifies: no filter) at ${connections} connections; each 202 is sent after the row
and its deliveries are committed (SQLite WAL, synchronous=FULL). Configurations alternate${builds.length > 1 ? ', old and new build side by side' : ''}, ${rounds} rounds.
"held": the receiver's first answer is 410, which disables the endpoints, so the outbox rows are written and nothing more
is sent (the outbox's own cost). "sent": the receiver (${nginx ? 'nginx, one worker, `return 200`, at nice 10 like the sender' : 'node'}, on the same 2 cores) answers 200 and
deliveries go out while wrk runs; "sender CPU" is the collector's webhook threads per delivery; "sent during wrk": the share of the deliveries the receiver had when wrk
stopped; "drain": after wrk stops, until the receiver has them all. Finished deliveries are pruned as by default (10,000 kept per endpoint) where the build prunes.
"collector CPU / answer": the collector process's CPU time while wrk ran (and until the backlog drained; held: until one
read of the log, which fans out the deliveries owed where the build defers that) over the answers
acknowledged, which other load on the machine disturbs far less than answers/s; its "vs none" is the outbox's cost in CPU,
the throughput it would cost a CPU-bound collector.

| build | webhooks | deliveries | acknowledged/s (each round) | median | vs none | collector CPU / answer (with drain) | vs none | sender CPU / delivery | sent during wrk | drain after wrk |
|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|
`;
for (const [n, mode] of configs) for (const build of builds) {
  const rs = by(build.name, n, mode);
  const base = median(by(build.name, 0, 'none').map((x) => x.acknowledged_per_s));
  const m = median(rs.map((x) => x.acknowledged_per_s));
  const us = (k) => (rs.some((x) => x[k] !== null) ? `${fmt(median(rs.filter((x) => x[k] !== null).map((x) => x[k])))} µs` : '');
  const drains = mode !== 'sent' ? '' : rs.map((x) => (x.drain_s !== null ? `${x.drain_s.toFixed(1)} s` : `${fmt(x.pending_left)} left after 60 s`)).join(', ');
  const cpu = median(rs.map((x) => x.collector_cpu_us_per_answer)), cpuAll = median(rs.map((x) => x.collector_cpu_us_per_answer_with_drain));
  const cpuBase = median(by(build.name, 0, 'none').map((x) => x.collector_cpu_us_per_answer_with_drain));
  md += `| ${build.name} | ${n} | ${n === 0 ? '' : mode} | ${rs.map((x) => fmt(x.acknowledged_per_s)).join(', ')} | ${fmt(m)} | ${n === 0 ? '' : pct((m - base) / base)} | ${fmt(cpu)} µs (${fmt(cpuAll)} µs) | ${n === 0 ? '' : pct((cpuAll - cpuBase) / cpuBase)} | ${mode === 'sent' ? us('sender_cpu_us_per_delivery') : ''} | ${mode === 'sent' ? `${Math.round(100 * median(rs.map((x) => x.delivered_during_wrk / Math.max(1, x.delivered))))} %` : ''} | ${drains} |\n`;
}
md += `
Delivery latency, 1 webhook (the node receiver, which notes arrival times): ${posts} answers POSTed 10 ms apart; 202 received → request at the receiver:
`;
for (const lat of lats) md += `- ${lat.build}: ${lat.delivered} delivered, p50 ${lat.p50_ms?.toFixed(2)} ms, p99 ${lat.p99_ms?.toFixed(2)} ms, max ${lat.max_ms?.toFixed(2)} ms\n`;
writeSection('webhooks', md, { machine: machine(), load, receiver: nginx ? 'nginx' : 'node', runs, latency: lats });
console.log(md);
