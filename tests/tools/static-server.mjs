// Static files for tests: serveStatic(req, res, { '/': dir, '/examples/': dir2 }) -> true when served.
// Also `startStaticServer(roots)` for a standalone server on an ephemeral port.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
                '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.png': 'image/png',
                '.svg': 'image/svg+xml', '.ts': 'text/plain' };

export function serveStatic(req, res, roots, headers = {}) {
  const url = new URL(req.url, 'http://x');
  const prefixes = Object.keys(roots).sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    if (!url.pathname.startsWith(prefix)) continue;
    const root = path.resolve(roots[prefix]);
    let file = path.resolve(root, '.' + decodeURIComponent(url.pathname.slice(prefix.length - 1)));
    if (!file.startsWith(root)) continue;
    try {
      if (fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
      const body = fs.readFileSync(file);
      res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream',
                           'Cache-Control': 'no-store', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    } catch { /* try the next root */ }
  }
  return false;
}

export async function startStaticServer(roots, headers = {}) {
  const server = http.createServer((req, res) => {
    if (!serveStatic(req, res, roots, headers)) { res.writeHead(404); res.end('not found'); }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}
