// A test endpoint for the widget's transport, reusable by any node test.
//   const ep = await startTestEndpoint({ failFirst: 3, failStatus: 503 });
//   ep.url ('http://127.0.0.1:PORT/v1/responses'), ep.bodies (parsed JSON), ep.requests
//   ({method, contentType, status, body, headers}), ep.accepted (status 2xx), ep.setFailures(n, status,
//   retryAfter), await ep.waitFor(pred), await ep.close().
// It also serves static files (same origin as the endpoint, so the widget needs no CORS) from
// `roots`: { '/': dir, '/examples/': dir2 }, and extra routes `pages`: { '/path': {type, body, headers} }.
import http from 'node:http';
import { serveStatic } from './static-server.mjs';

export async function startTestEndpoint({ path = '/v1/responses', failFirst = 0, failStatus = 503, retryAfter = null,
                                          roots = {}, pages = {} } = {}) {
  const state = { failuresLeft: failFirst, failStatus, retryAfter };
  const requests = [];
  const waiters = [];
  const notify = () => {
    for (const w of waiters.slice()) if (w.pred(api)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === path) {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'POST',
                             'Access-Control-Allow-Headers': '*' });
        return res.end();
      }
      let chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let status = 202;
        const headers = { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*',
                          'Access-Control-Expose-Headers': 'Retry-After' };
        if (state.failuresLeft > 0) {
          state.failuresLeft--;
          status = state.failStatus;
          if (state.retryAfter != null) headers['Retry-After'] = String(state.retryAfter);
        }
        let body = null;
        try { body = JSON.parse(text); } catch { /* recorded as null */ }
        requests.push({ method: req.method, contentType: req.headers['content-type'] || '', status, text, body,
                        headers: req.headers, at: Date.now() });
        res.writeHead(status, headers);
        res.end(status < 300 ? JSON.stringify({ id: body && body.id }) : '{}');
        notify();
      });
      return;
    }
    if (pages[url.pathname]) {
      const p = pages[url.pathname];
      res.writeHead(200, { 'Content-Type': p.type || 'text/html; charset=utf-8', ...(p.headers || {}) });
      return res.end(p.body);
    }
    if (serveStatic(req, res, roots)) return;
    res.writeHead(404);
    res.end('not found');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const api = {
    origin,
    url: origin + path,
    requests,
    get posts() { return requests.filter((r) => r.method === 'POST'); },
    get bodies() { return this.posts.map((r) => r.body); },
    get accepted() { return this.posts.filter((r) => r.status >= 200 && r.status < 300); },
    setFailures(n, status = 503, retry = null) { state.failuresLeft = n; state.failStatus = status; state.retryAfter = retry; },
    setPage(p, page) { pages[p] = page; },
    waitFor(pred, timeoutMs = 15000) {
      if (pred(api)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) { waiters.splice(i, 1); reject(new Error(`test endpoint: condition not met in ${timeoutMs} ms (${requests.length} requests)`)); }
        }, timeoutMs).unref();
      });
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((r) => server.close(r));
    },
  };
  return api;
}

// `node tests/tools/test-endpoint.mjs [--fail N] [--root DIR]`: run it by hand, print each body.
if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
  const ep = await startTestEndpoint({ failFirst: Number(arg('--fail', 0)), roots: { '/': arg('--root', '.') } });
  console.log(`test endpoint: POST ${ep.url}, static files on ${ep.origin}/`);
  setInterval(() => {
    while (ep.posts.length > (ep._shown || 0)) console.log(ep.posts[ep._shown = (ep._shown || 0) + 1, ep._shown - 1].text);
  }, 200);
}
