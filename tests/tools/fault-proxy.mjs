// A fault-injecting HTTP proxy for reliability tests: sits in front of the collector (or any
// endpoint) and, for a configurable share of requests, answers 5xx, answers 429 with
// Retry-After, hangs until the client gives up, resets the connection before or AFTER the
// upstream has stored the request (the answer is lost, not the write: the case that creates
// duplicates when ids are not idempotency keys), or trickles the response slowly.
// Deterministic: faults are drawn from a seeded generator, so a failing run can be replayed.
//
//   import { startFaultProxy } from './fault-proxy.mjs';
//   const proxy = await startFaultProxy({ upstream: 'http://127.0.0.1:8080', rate: 0.3, seed: 1 });
//   proxy.url; proxy.counts; await proxy.close();
import http from 'node:http';

export const FAULTS = ['status_503', 'status_500', 'status_429', 'hang', 'reset_before', 'reset_after', 'slow_body'];

// Seeded generator (mulberry32), also used by the fault tests for their own choices.
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startFaultProxy({ upstream, rate = 0.3, seed = 1, faults = FAULTS, hangMs = 10000,
                                        retryAfterSeconds = 1, only = () => true } = {}) {
  const random = mulberry32(seed);
  const target = new URL(upstream);
  const counts = { requests: 0, passed: 0 };
  for (const f of faults) counts[f] = 0;
  const sockets = new Set();

  const forward = (req, body) => new Promise((resolve, reject) => {
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url,
      headers: { ...req.headers, host: target.host } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    up.on('error', reject);
    up.end(body);
  });

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    counts.requests++;
    let fault = null;
    if (only(req) && random() < rate) fault = faults[Math.floor(random() * faults.length)];
    if (fault) counts[fault]++;
    else counts.passed++;
    try {
      switch (fault) {
        case 'status_503':
        case 'status_500':
          res.writeHead(Number(fault.slice(7)), { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
          return res.end('injected fault');
        case 'status_429':
          res.writeHead(429, { 'retry-after': String(retryAfterSeconds), 'access-control-allow-origin': '*' });
          return res.end('injected rate limit');
        case 'hang':
          return setTimeout(() => req.socket.destroy(), hangMs);
        case 'reset_before':
          return req.socket.destroy();
        case 'reset_after': {
          await forward(req, body);  // stored upstream, then the acknowledgement is lost
          return req.socket.destroy();
        }
      }
      const up = await forward(req, body);
      res.writeHead(up.status, up.headers);
      if (fault === 'slow_body') {
        for (const byte of up.body) {
          res.write(Buffer.from([byte]));
          await new Promise((r) => setTimeout(r, 5));
        }
        return res.end();
      }
      res.end(up.body);
    } catch {
      req.socket.destroy();
    }
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    counts,
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(resolve); }),
  };
}
