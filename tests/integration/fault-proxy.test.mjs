// The fault proxy itself: faults happen at the configured rate, are replayable from the seed,
// and "reset_after" really stores upstream before dropping the answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startFaultProxy } from '../tools/fault-proxy.mjs';

async function upstream() {
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => { seen.push(body); res.writeHead(202); res.end('ok'); });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

async function post(url, body) {
  try {
    const res = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(1000) });
    await res.text();
    return res.status;
  } catch {
    return 'network';
  }
}

test('faults at the configured rate, same sequence for the same seed', async () => {
  const up = await upstream();
  const outcomes = [];
  for (const run of [0, 1]) {
    const proxy = await startFaultProxy({ upstream: up.url, rate: 0.3, seed: 42, hangMs: 50 });
    const got = [];
    for (let i = 0; i < 200; i++) got.push(await post(proxy.url + '/v1/responses', `answer-${i}`));
    outcomes.push(got);
    const faults = proxy.counts.requests - proxy.counts.passed;
    assert.equal(proxy.counts.requests, 200);
    assert.ok(faults > 35 && faults < 85, `about 30 % faults, got ${faults}`);
    assert.ok(proxy.counts.status_429 > 0 && proxy.counts.reset_after > 0 && proxy.counts.hang > 0);
    await proxy.close();
  }
  assert.deepEqual(outcomes[0], outcomes[1]);
  await up.close();
});

test('reset_after stores upstream, then loses the acknowledgement', async () => {
  const up = await upstream();
  const proxy = await startFaultProxy({ upstream: up.url, rate: 1, faults: ['reset_after'] });
  assert.equal(await post(proxy.url + '/x', 'stored-but-unacknowledged'), 'network');
  assert.deepEqual(up.seen, ['stored-but-unacknowledged']);
  await proxy.close();
  await up.close();
});
