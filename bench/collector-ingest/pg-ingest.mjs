// PostgreSQL beside SQLite in one run (part of `npm run bench -- collector`): wrk POSTs new
// answers (bench/collector-ingest/post.lua) for --seconds at 16 and 64 connections to
//   sqlite        one collector, WAL, synchronous=FULL
//   postgresql ×1 one collector on a throwaway cluster (fsync on, synchronous_commit on)
//   postgresql ×2 two collectors on the same database, the connections split between them
// An answer counts only when acknowledged (202, sent after its commit); the rows in the
// database are checked against the acknowledged count after each run.
//   node bench/collector-ingest/pg-ingest.mjs [--seconds 10]
// NPSKIT_BUILD_NATIVE_BASELINE=DIR: each configuration runs DIR/npskit-collector ("old") first,
// then this build ("new"), so old and new share one run and one machine load.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { root, machine, writeSection } from '../lib/report.mjs';
import { startCollector, tempDir, removeDir, collectorBinary } from '../../tests/integration/collector-harness.mjs';
import { startPgCluster, pgMissing } from '../../tests/tools/pg-cluster.mjs';

const run = promisify(execFile);
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : def; };
const seconds = opt('--seconds', 10);
const builds = [{ name: 'new', binary: collectorBinary }];
if (process.env.NPSKIT_BUILD_NATIVE_BASELINE)
  builds.unshift({ name: 'old', binary: path.join(path.resolve(process.env.NPSKIT_BUILD_NATIVE_BASELINE), 'npskit-collector') });
const compare = builds.length > 1;
const missing = pgMissing();
if (missing) { console.error(`pg-ingest: ${missing}`); process.exit(1); }

async function wrk(base, connections, threads, prefix) {
  const { stdout } = await run('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '-s',
    path.join(root, 'bench/collector-ingest/post.lua'), `${base}/`, '--', prefix], { maxBuffer: 1 << 24 });
  const acked = Number((/acknowledged: (\d+) of/.exec(stdout) || [])[1]);
  const p = (q) => Number((new RegExp(`p${q} ([\\d.]+) ms`).exec(stdout) || [])[1]);
  return { acked, p50: p(50), p99: p(99) };
}

async function measure(backend, collectors, connections, pg, build) {
  let db, dir;
  if (backend === 'sqlite') {
    dir = tempDir('npskit-bench-');
    db = path.join(dir, 'bench.db');
  } else {
    const name = `bench_${build.name}_${collectors}_${connections}`;
    await pg.sql(`CREATE DATABASE ${name}`);
    db = pg.url.replace(/\/postgres$/, `/${name}`);
  }
  const each = Math.ceil(connections / collectors);
  const cs = [];
  for (let i = 0; i < collectors; i++)
    cs.push(await startCollector({ db, binary: build.binary, args: ['--rate', '0', '--quiet', '--threads', String(each + 16)] }));
  try {
    const runs = await Promise.all(cs.map((c, i) => wrk(c.base, each, collectors === 1 ? Math.min(2, each) : 1, `bench${i}`)));
    const acked = runs.reduce((s, r) => s + r.acked, 0);
    const health = await (await fetch(`${cs[0].base}/healthz`)).json();
    const rows = backend === 'sqlite' ? health.cursor : Number(await pg.sql('SELECT count(*) FROM responses', db.split('/').pop()));
    return { build: build.name, backend, collectors, connections, acknowledged_per_s: acked / seconds, acknowledged: acked,
      p50_ms: Math.max(...runs.map((r) => r.p50)), p99_ms: Math.max(...runs.map((r) => r.p99)), rows_checked: rows };
  } finally {
    for (const c of cs) await c.stop();
    if (dir) removeDir(dir);
  }
}

const load = os.loadavg()[0];
const pg = await startPgCluster({ fsync: true });
const results = [];
try {
  for (const connections of [16, 64])
    for (const [backend, collectors] of [['sqlite', 1], ['postgresql', 1], ['postgresql', 2]])
      for (const build of builds) {
        const r = await measure(backend, collectors, connections, pg, build);
        results.push(r);
        console.error('pg-ingest:', JSON.stringify(r));
      }
} finally {
  await pg.destroy();
}
for (const r of results)
  if (!(r.rows_checked >= r.acknowledged)) throw new Error(`FEWER ROWS THAN ACKNOWLEDGED: ${JSON.stringify(r)}`);

const n = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const command = `${compare ? 'NPSKIT_BUILD_NATIVE_BASELINE=OLD ' : ''}node bench/collector-ingest/pg-ingest.mjs --seconds ${seconds}`;
const goal = 5000;
const one = results.filter((r) => r.build === 'new' && r.backend === 'postgresql' && r.collectors === 1);
const verdict = one.map((r) => `${n(r.acknowledged_per_s)}/s at ${r.connections} connections`).join(', ');
const met = one.filter((r) => r.acknowledged_per_s >= goal).map((r) => r.connections);
let md = `## Collector: PostgreSQL ingest beside SQLite

\`npm run bench -- collector\` (this part: \`${command}\`), ${machine().cores} cores
shared by wrk, node, the collectors and PostgreSQL 15 on loopback (load average at the start:
${load.toFixed(1)}, at the end: ${os.loadavg()[0].toFixed(1)}).
Each request POSTs a new answer; acknowledged = 202, sent after the commit. SQLite: WAL,
synchronous=FULL. PostgreSQL: a throwaway cluster (tests/tools/pg-cluster.mjs) with fsync and
synchronous_commit on; a batch is one transaction under the cluster-wide write lock
(src/collector/pg_storage.cpp). With 2 collectors the connections are split between them (one
wrk each). Every run checks the database holds at least the acknowledged rows.${compare ? `
Each configuration ran the old build (NPSKIT_BUILD_NATIVE_BASELINE) and then this one, on the same
cluster, one after the other.` : ''}

| ${compare ? 'build | ' : ''}backend | collectors | connections | acknowledged/s | p50 | p99 |
|${compare ? '---|' : ''}---|---:|---:|---:|---:|---:|
`;
for (const r of results)
  md += `| ${compare ? `${r.build} | ` : ''}${r.backend} | ${r.collectors} | ${r.connections} | ${n(r.acknowledged_per_s)} | ${f(r.p50_ms)} ms | ${f(r.p99_ms)} ms |\n`;
md += `
**Goal (≥ ${n(goal)} acknowledged/s with one PostgreSQL collector): ${met.length === one.length ? 'met' : met.length ? `met at ${met.join(', ')} connections only` : 'not met'}** (${verdict}).
`;
writeSection('collector-pg', md, { machine: machine(), seconds, results });
console.log(md);
