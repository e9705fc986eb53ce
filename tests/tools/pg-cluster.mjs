// A throwaway PostgreSQL cluster for tests and benchmarks: initdb in a temp folder, a free port
// on 127.0.0.1, trust auth, started with pg_ctl. The server refuses to run as root, so as root
// (CI) every command runs as the `postgres` user through runuser.
//   const pg = await startPgCluster();   // pg.url = postgresql://postgres@127.0.0.1:PORT/postgres
//   await pg.stop(); await pg.start();   // the database goes away and comes back, same data
//   await pg.destroy();                  // stops it and deletes the folder
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const pgBin = process.env.NPSKIT_PG_BIN || '/usr/lib/postgresql/15/bin';

// null when the cluster can be made here; otherwise why not (for a test's skip message).
export function pgMissing() {
  for (const tool of ['initdb', 'pg_ctl', 'postgres'])
    if (!existsSync(path.join(pgBin, tool))) return `PostgreSQL binaries are absent (${path.join(pgBin, tool)}; apt-get install postgresql-15, or set NPSKIT_PG_BIN)`;
  return null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function asPostgres(tool, args, options = {}) {
  const bin = path.join(pgBin, tool);
  const root = process.getuid && process.getuid() === 0;
  return root ? run('runuser', ['-u', 'postgres', '--', bin, ...args], options) : run(bin, args, options);
}

// options: fsync (default true: what a deployment runs), settings (extra -c name=value).
export async function startPgCluster({ fsync = true, settings = {} } = {}) {
  const missing = pgMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(path.join(tmpdir(), 'npskit-pg-'));
  const root = process.getuid && process.getuid() === 0;
  if (root) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout), Number(gid));
  }
  const data = path.join(dir, 'data');
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'], { timeout: 60000 });
  const port = await freePort();
  const opts = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses='127.0.0.1'", `-c fsync=${fsync ? 'on' : 'off'}`,
    '-c max_connections=200', ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
  const cluster = {
    dir, port, data,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    running: false,
    async start() {
      await asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', opts, '-w', '-t', '30', 'start'], { timeout: 40000 });
      cluster.running = true;
    },
    // mode fast: open sessions are ended (clients see their connections drop), as in a restart.
    async stop(mode = 'fast') {
      if (!cluster.running) return;
      await asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop'], { timeout: 40000 });
      cluster.running = false;
    },
    async destroy() {
      try { await cluster.stop('immediate'); } catch { /* already down */ }
      rmSync(dir, { recursive: true, force: true });
    },
    // Runs SQL through psql as postgres (tests look at what really landed).
    async sql(text, database = 'postgres') {
      const { stdout } = await asPostgres('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database,
        '-At', '-v', 'ON_ERROR_STOP=1', '-c', text], { timeout: 30000 });
      return stdout.trim();
    },
  };
  await cluster.start();
  return cluster;
}
