// `npm run start:scale` (scripts/start-scale): the several-collector setup of docs/deploy.md on
// this machine: a throwaway PostgreSQL 15 cluster, two collectors on it (the first seeds
// NPSKIT_SEED demo answers, default 20,000) and nginx from Debian in front as the load
// balancer. Prints the URLs; Ctrl-C stops everything and deletes the cluster.
// Environment: NPSKIT_PORT (nginx, default 8080), NPSKIT_SEED, NPSKIT_BUILD_NATIVE, NPSKIT_BUILD_WEB.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, chmodSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPgCluster } from '../tests/tools/pg-cluster.mjs';
import { startCollector } from '../tests/integration/collector-harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const native = path.resolve(root, process.env.NPSKIT_BUILD_NATIVE || 'build-native');
const webBuild = path.resolve(root, process.env.NPSKIT_BUILD_WEB || 'build-web');
const port = Number(process.env.NPSKIT_PORT || 8080);
const key = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');

const web = [];
if (existsSync(path.join(webBuild, 'dist'))) web.push('--web', path.join(webBuild, 'dist'));
if (existsSync(path.join(root, 'web'))) web.push('--web', path.join(root, 'web'));
const common = ['--read-key', key, '--trusted-proxy', '127.0.0.1/32', '--examples', path.join(root, 'examples'), '--quiet', ...web];

const running = [];
let nginx = null, dir = null, stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log('start:scale: stopping nginx, the collectors and the database');
  nginx?.kill('SIGQUIT');
  for (const end of running.reverse()) await end().catch(() => {});
  if (dir) rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

try {
  const pg = await startPgCluster();
  running.push(() => pg.destroy());
  const binary = path.join(native, 'npskit-collector');
  const a = await startCollector({ db: pg.url, binary, readKey: key, args: [...common, '--seed-demo', process.env.NPSKIT_SEED || '20000'] });
  running.push(() => a.stop());
  const b = await startCollector({ db: pg.url, binary, readKey: key, args: common });
  running.push(() => b.stop());

  // nginx as root switches its workers to nobody: its scratch folders must be theirs to write.
  dir = mkdtempSync(path.join(tmpdir(), 'npskit-nginx-'));
  chmodSync(dir, 0o777);
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) { mkdirSync(path.join(dir, d)); chmodSync(path.join(dir, d), 0o777); }
  const headers = `proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;`;
  writeFileSync(path.join(dir, 'nginx.conf'), `daemon off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream npskit { server 127.0.0.1:${a.port}; server 127.0.0.1:${b.port}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 64k;
    location / { proxy_pass http://npskit; ${headers}
      proxy_next_upstream error timeout http_503 non_idempotent; }
    location = /v1/stream { proxy_pass http://npskit; ${headers}
      proxy_buffering off; proxy_cache off; proxy_read_timeout 1h; }
  }
}
`);
  nginx = spawn('nginx', ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  nginx.once('exit', (code) => { if (!stopping) { console.error(`start:scale: nginx exited (${code})`); stop(1); } });
  await new Promise((r) => setTimeout(r, 500));
  console.log(`
npskit on PostgreSQL behind nginx (docs/deploy.md):
  load balancer  http://127.0.0.1:${port}/
  dashboard      http://127.0.0.1:${port}/dashboard/#key=${key}
  demo app       http://127.0.0.1:${port}/examples/saas-demo/
  collectors     ${a.base}/ and ${b.base}/ (read key ${key})
  database       ${pg.url} (a throwaway cluster in ${pg.dir}, deleted on exit)
Ctrl-C stops everything.`);
} catch (e) {
  console.error(`start:scale: ${e.message || e}`);
  await stop(1);
}
