// One hostile client cannot stop the collector (issue 13, item 1): the probes an attacker with
// one laptop would try, each against a collector with its default flags (only the port, the
// database and the read key chosen). Hostile sockets come from 127.0.0.2 (all of 127.0.0.0/8 is
// loopback), honest writes from other addresses; RSS is read from /proc.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { startCollector, answer, READ_KEY } from './collector-harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const HOSTILE = '127.0.0.2';
// Honest writers: the default rate limit is 20/s with a burst of 100 per address, so 200
// writes in a few seconds come from four addresses (50 each), as from four users.
const WRITERS = ['127.0.0.1', '127.0.0.3', '127.0.0.4', '127.0.0.5'];

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

function p99(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)];
}

// Worker: opens n streams, reports {refused, sample} once each has its first line, then for
// each {id} message reports {missing, at} when every stream has seen the id (or after 1.5 s).
const LISTENERS = `
const net = require('node:net');
const { parentPort, workerData: { port, n, key } } = require('node:worker_threads');
const socks = [];
let watch = null;
for (let i = 0; i < n; i++) {
  const s = { buf: '', seen: false, started: false };
  s.socket = net.connect({ port, host: '127.0.0.1' });
  s.socket.setEncoding('latin1');
  s.socket.on('error', () => {});
  s.socket.on('data', (d) => {
    if (!s.started) { s.buf += d; s.started = s.buf.includes('npskit stream from'); }
    if (watch && !s.seen) {
      s.tail = (s.tail || '') + d;
      if (s.tail.includes(watch.id)) { s.seen = true; if (++watch.count === n) done(); }
      else s.tail = s.tail.slice(-200);
    }
  });
  s.socket.write('GET /v1/stream HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nAuthorization: Bearer ' + key + '\\r\\n\\r\\n');
  socks.push(s);
}
function done() { if (!watch || watch.reported) return; watch.reported = true; clearTimeout(watch.timer);
  parentPort.postMessage({ missing: n - watch.count, at: Date.now() }); }
const openDeadline = Date.now() + 15000;
const check = setInterval(() => {
  const refused = socks.filter((s) => !s.started);
  if (refused.length === 0 || Date.now() > openDeadline) {
    clearInterval(check);
    parentPort.postMessage({ refused: refused.length, sample: refused[0] ? JSON.stringify(refused[0].buf.slice(0, 80)) : '' });
  }
}, 50);
parentPort.on('message', ({ id }) => {
  watch = { id, count: 0, reported: false };
  for (const s of socks) s.tail = '';
  watch.timer = setTimeout(done, 1500);
});
`;

const agents = new Map();
function agentFor(localAddress) {
  if (!agents.has(localAddress)) agents.set(localAddress, new http.Agent({ keepAlive: true, maxSockets: 8, localAddress }));
  return agents.get(localAddress);
}

// One POST from localAddress; resolves {status, ms}. A 5 s client timeout counts as a failure.
function timedPost(port, localAddress, body) {
  const data = JSON.stringify(body);
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request({
      host: '127.0.0.1', port, path: '/v1/responses', method: 'POST', agent: agentFor(localAddress), timeout: 5000,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end(data);
  });
}

// n writes, `parallel` at a time, spread over WRITERS; resolves the latencies (all must be 202).
async function honestWrites(port, n, parallel = 4) {
  const results = [];
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < n && !results.some((r) => r.status !== 202)) {  // the first failure ends it (bounded)
      const i = next++;
      results.push(await timedPost(port, WRITERS[i % WRITERS.length], answer({ score: i % 11 })));
    }
  }));
  return results;
}

// Raw socket from `localAddress`; collects what the server sends; `closed` once it ends.
function rawSocket(port, localAddress = '127.0.0.1') {
  const s = net.connect({ port, host: '127.0.0.1', localAddress });
  const state = { socket: s, data: '', closed: false, connected: false };
  s.setEncoding('latin1');
  s.on('connect', () => { state.connected = true; });
  s.on('data', (d) => { state.data += d; });
  s.on('error', () => {});
  s.on('close', () => { state.closed = true; });
  return state;
}

const writeHead = (length) =>
  `POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('hostile HTTP clients (default limits)', () => {
  let c;
  before(async () => { c = await startCollector(); });
  after(async () => {
    for (const a of agents.values()) a.destroy();
    await c.stop();
    c.cleanup();
  });

  test('(a) 500 sockets declaring a 100 MB body and trickling it do not slow writes from other addresses', async () => {
    const hostile = Array.from({ length: 500 }, () => rawSocket(c.port, HOSTILE));
    const trickle = setInterval(() => {
      for (const h of hostile) if (!h.closed && h.connected) h.socket.write('0123456789');
    }, 2000);
    try {
      const deadline = Date.now() + 5000;
      while (hostile.some((h) => !h.connected && !h.closed) && Date.now() < deadline) await sleep(20);
      for (const h of hostile) if (!h.closed) h.socket.write(writeHead(100000000) + '{"v":1,');
      await sleep(200);
      // Best of three rounds: on a busy 2-core CI machine a round can lose the CPU to another
      // process; every round must still be acknowledged (the old build acknowledged none).
      let worst = Infinity;
      for (let round = 0; round < 3 && worst > 50; round++) {
        const results = await honestWrites(c.port, 200);
        const statuses = [...new Set(results.map((r) => r.status))];
        assert.deepEqual(statuses, [202], `statuses: ${results.map((r) => r.status).join(',')}`);
        worst = Math.min(worst, p99(results.map((r) => r.ms)));
      }
      assert.ok(worst <= 50, `p99 ${worst.toFixed(1)} ms with 500 hostile sockets open (limit 50 ms, best of 3 rounds)`);
    } finally {
      clearInterval(trickle);
      for (const h of hostile) h.socket.destroy();
    }
  });

  test('(b) a declared 100 MB body gets 413 before any body byte is sent', async () => {
    const s = rawSocket(c.port);
    await new Promise((r) => s.socket.once('connect', r));
    const started = Date.now();
    s.socket.write(writeHead(100000000));
    while (!s.data.includes('\r\n\r\n') && !s.closed && Date.now() - started < 1000) await sleep(10);
    s.socket.destroy();
    assert.match(s.data, /^HTTP\/1\.1 413 /, `no 413 within 1 s of the header (got ${JSON.stringify(s.data.slice(0, 40))})`);
    assert.match(s.data, /"code":"too_large"/);
  });

  test('(c) 24 MB of header lines raise RSS by < 16 MB and get 431 or a closed connection', async () => {
    const before = rssKb(c.child.pid);
    const s = rawSocket(c.port);
    await new Promise((r) => s.socket.once('connect', r));
    s.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const line = `X-Pad: ${'a'.repeat(1000)}\r\n`;
    const block = line.repeat(1024);  // ~1 MB
    let peak = before;
    for (let sent = 0; sent < 24 && !s.closed; sent++) {
      const ok = s.socket.write(block);
      if (!ok) await Promise.race([new Promise((r) => s.socket.once('drain', r)), sleep(500)]);
      peak = Math.max(peak, rssKb(c.child.pid));
    }
    const deadline = Date.now() + 3000;
    while (!s.closed && Date.now() < deadline) await sleep(20);
    peak = Math.max(peak, rssKb(c.child.pid));
    s.socket.destroy();
    const grew = (peak - before) / 1024;
    assert.ok(grew < 16, `RSS grew by ${grew.toFixed(1)} MB (limit 16 MB)`);
    assert.ok(s.closed || /^HTTP\/1\.1 431 /.test(s.data), `neither a 431 nor a close: ${JSON.stringify(s.data.slice(0, 40))}`);
    assert.equal((await fetch(`${c.base}/healthz`)).status, 200);
  });

  test('(d) 2,000 SSE listeners all receive a posted answer within 1 s; writes still meet p99 <= 50 ms', async (t) => {
    const limit = Number(execSync('ulimit -n', { shell: '/bin/bash' }).toString().trim());
    if (Number.isFinite(limit) && limit < 4500) {
      t.skip(`ulimit -n is ${limit}: 2,000 listeners need about 4,500 descriptors here`);
      return;
    }
    // The listeners live in a worker thread, as other clients would: their 2,000 sockets do not
    // share an event loop with the writers whose latency is measured.
    const worker = new Worker(LISTENERS, { eval: true, workerData: { port: c.port, n: 2000, key: READ_KEY } });
    const next = () => new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
    try {
      const ready = await next();
      assert.equal(ready.refused, 0, `${ready.refused} listeners got no stream: ${ready.sample}`);
      const a = answer({ score: 10 });
      const seen = next();
      worker.postMessage({ id: a.id });
      const posted = Date.now();
      const r = await timedPost(c.port, WRITERS[0], a);
      assert.equal(r.status, 202);
      const got = await seen;
      assert.equal(got.missing, 0, `${got.missing} of 2000 listeners did not receive the answer within 1 s`);
      assert.ok(got.at - posted <= 1000, `the last listener got it after ${got.at - posted} ms`);
      let worst = Infinity;  // best of three rounds, as in (a)
      for (let round = 0; round < 3 && worst > 50; round++) {
        const results = await honestWrites(c.port, 100);
        assert.deepEqual([...new Set(results.map((x) => x.status))], [202]);
        worst = Math.min(worst, p99(results.map((x) => x.ms)));
      }
      assert.ok(worst <= 50, `p99 ${worst.toFixed(1)} ms with 2,000 listeners (limit 50 ms, best of 3 rounds)`);
    } finally {
      await worker.terminate();
    }
  });

  test('(e) a client sending its headers slowly is cut off at the whole-request deadline (10 s)', async () => {
    const s = rawSocket(c.port);
    await new Promise((r) => s.socket.once('connect', r));
    const started = Date.now();
    s.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // One header byte every 400 ms: each read is quick, the request never completes.
    while (!s.closed && Date.now() - started < 14000) {
      s.socket.write('X');
      await sleep(400);
    }
    const ms = Date.now() - started;
    s.socket.destroy();
    assert.ok(s.closed, 'still open after 14 s');
    assert.ok(ms >= 9000 && ms <= 12500, `closed after ${ms} ms, not at the 10 s deadline`);
    assert.ok(s.data === '' || /^HTTP\/1\.1 408 /.test(s.data), `answer: ${JSON.stringify(s.data.slice(0, 40))}`);
  });
});
