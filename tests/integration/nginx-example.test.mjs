// examples/nginx/npskit.conf as it is, in front of a real collector: TLS with a throwaway
// self-signed certificate, the HTTP -> HTTPS redirect, writes and reads through the proxy, the
// live stream unbuffered, and nginx's own body limit. Only ports and file paths are substituted.
// Needs nginx and openssl (scripts/setup installs them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { repoRoot, startCollector, tempDir, removeDir, answer, READ_KEY } from './collector-harness.mjs';

const NGINX = '/usr/sbin/nginx';
const skip = existsSync(NGINX) ? false : 'nginx is not installed (scripts/setup)';
let dir, collector, nginx, httpsPort, httpPort, ca;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// One HTTPS request through nginx, trusting only the test's certificate.
function request(method, pathname, { body, headers = {}, onData, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: httpsPort, method, path: pathname, ca, servername: 'localhost', localAddress,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}), ...headers } },
    (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; onData?.(text, res); });
      const done = () => resolve({ status: res.statusCode, headers: res.headers, text });
      res.on('end', done);
      res.on('close', done);  // also when the caller destroyed the stream
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

before(async () => {
  if (skip) return;
  dir = tempDir('npskit-nginx-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
  { stdio: 'ignore' });
  ca = readFileSync(path.join(dir, 'cert.pem'));
  // As the example's header says: nginx on this machine is the one trusted proxy.
  collector = await startCollector({ args: ['--trusted-proxy', '127.0.0.1/32'] });
  [httpsPort, httpPort] = [await freePort(), await freePort()];
  const site = readFileSync(path.join(repoRoot, 'examples/nginx/npskit.conf'), 'utf8')
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${collector.port};`)
    .replace(/^\s*listen \[::\].*$/gm, '')  // the test machine may have no IPv6
    .replace('listen 80;', `listen 127.0.0.1:${httpPort};`)
    .replace('listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`)
    .replace(/ssl_certificate\s+\S+;/, `ssl_certificate ${path.join(dir, 'cert.pem')};`)
    .replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${path.join(dir, 'key.pem')};`);
  assert.ok(site.includes(`127.0.0.1:${httpsPort} ssl`) && site.includes('cert.pem') && site.includes(`:${collector.port};`),
    'the example still has the lines this test substitutes');
  writeFileSync(path.join(dir, 'site.conf'), site);
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, t));
  writeFileSync(path.join(dir, 'nginx.conf'), `daemon off; user root; worker_processes 1;
pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  include ${dir}/site.conf;
}
`);
  execFileSync(NGINX, ['-t', '-q', '-c', path.join(dir, 'nginx.conf'), '-p', dir]);
  nginx = spawn(NGINX, ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; ++i) {
    if (await new Promise((ok) => net.connect(httpsPort, '127.0.0.1').on('connect', function () { this.end(); ok(true); }).on('error', () => ok(false)))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
});

after(async () => {
  nginx?.kill('SIGQUIT');
  await collector?.stop();
  if (dir) removeDir(dir);
});

test('plain HTTP is redirected to HTTPS', { skip }, async () => {
  const res = await new Promise((resolve, reject) =>
    http.get({ host: '127.0.0.1', port: httpPort, path: '/v1/responses', headers: { host: 'nps.example.com' } }, resolve).on('error', reject));
  res.resume();
  assert.equal(res.statusCode, 301);
  assert.equal(res.headers.location, 'https://nps.example.com/v1/responses');
});

test('an answer posted over TLS is stored, read back and streamed live through nginx', { skip }, async () => {
  const auth = { authorization: `Bearer ${READ_KEY}` };
  let streamed = '';
  const stream = request('GET', '/v1/stream', { headers: { ...auth, accept: 'text/event-stream' },
    onData: (text, res) => { streamed = text; if (text.includes('nginx-00000001')) res.destroy(); } }).catch(() => {});
  await new Promise((r) => setTimeout(r, 300));
  const sent = Date.now();
  const a = answer({ id: 'nginx-00000001', score: 9, comment: 'through the proxy' });
  const posted = await request('POST', '/v1/responses', { body: JSON.stringify(a) });
  assert.equal(posted.status, 202, posted.text);
  const read = await request('GET', '/v1/responses?limit=10', { headers: auth });
  assert.equal(read.status, 200);
  assert.ok(JSON.parse(read.text).items.some((r) => r.id === a.id && r.comment === 'through the proxy'));
  for (let i = 0; i < 40 && !streamed.includes(a.id); ++i) await new Promise((r) => setTimeout(r, 50));
  assert.ok(streamed.includes(a.id), `the stream carried the answer (proxy_buffering off); got: ${streamed.slice(0, 200)}`);
  assert.ok(Date.now() - sent < 2000);
  await stream;
});

test('nginx refuses a body over 64 KB before the collector sees it', { skip }, async () => {
  const res = await request('POST', '/v1/responses', { body: JSON.stringify(answer({ comment: 'x'.repeat(70000) })) });
  assert.equal(res.status, 413);
});

// Request log lines are written once the answer is sent: poll for them (bounded).
async function logged(check, ms = 2000) {
  const end = Date.now() + ms;
  while (!collector.logs.some(check) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return collector.logs.some(check);
}

test("through nginx the collector counts the client's address; a forged X-Forwarded-For is ignored", { skip }, async () => {
  assert.ok(!collector.logs.some((l) => l.level === 'warn' && /trusted-proxy/.test(l.msg)), 'no loopback warning with --trusted-proxy');
  // The client connects to nginx from 127.0.0.2 and forges a header; nginx replaces it with $remote_addr.
  const a = answer({ id: 'nginx-forged-01' });
  const posted = await request('POST', '/v1/responses', { body: JSON.stringify(a), localAddress: '127.0.0.2',
    headers: { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.7' } });
  assert.equal(posted.status, 202, posted.text);
  assert.ok(await logged((l) => l.msg === 'request' && l.method === 'POST' && l.ip === '127.0.0.1' && l.client === '127.0.0.2'),
    'the request line names the client nginx saw');
  assert.ok(!collector.logs.some((l) => /^6\.6\.6\./.test(l.client ?? '')));
  // Straight to the collector from a peer that is not a proxy: its X-Forwarded-For names nobody.
  const direct = await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: collector.port, method: 'POST', path: '/v1/responses', localAddress: '127.0.0.3',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '6.6.6.8' } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(JSON.stringify(answer({ id: 'nginx-forged-02' })));
  });
  assert.equal(direct, 202);
  assert.ok(await logged((l) => l.msg === 'request' && l.ip === '127.0.0.3'));
  assert.ok(!collector.logs.some((l) => l.msg === 'request' && l.ip === '127.0.0.3' && l.client));
});
