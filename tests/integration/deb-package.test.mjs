// The collector's Debian package: built by CMake/CPack, unpacked into a scratch root with
// dpkg-deb -x, its unit verified with systemd-analyze (offline, against that root), its hardening
// scored, and the installed binary run with the installed dashboard files.
// Needs the native build and the wasm build's dist/ (npm run build), dpkg-dev, systemd, help2man.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, cpSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { repoRoot, buildNative, tempDir, removeDir, startCollector, READ_KEY } from './collector-harness.mjs';

const webDist = path.resolve(repoRoot, process.env.NPSKIT_BUILD_WEB || 'build-web', 'dist');
const skip = !existsSync(path.join(webDist, 'dashboard', 'dashboard.wasm')) ? `no web bundles in ${webDist} (npm run build)`
  : !existsSync('/usr/bin/systemd-analyze') ? 'systemd-analyze missing (scripts/setup)' : false;
let dir, root, deb;

before(() => {
  if (skip) return;
  execFileSync('cmake', ['-S', repoRoot, '-B', buildNative, `-DNPSKIT_WEB_DIST=${webDist}`], { stdio: 'ignore' });
  execFileSync('cmake', ['--build', buildNative, '--target', 'package'], { stdio: 'ignore' });
  const version = readFileSync(path.join(repoRoot, 'CMakeLists.txt'), 'utf8').match(/project\(npskit VERSION (\S+)/)[1];
  deb = path.join(buildNative, `npskit-collector_${version}_amd64.deb`);
  dir = tempDir('npskit-deb-');
  root = path.join(dir, 'root');
  execFileSync('dpkg-deb', ['-x', deb, root]);
});
after(() => { if (dir) removeDir(dir); });

test('the package has the binary, the web files, the unit, the user, the defaults and a man page', { skip }, () => {
  const field = (name) => execFileSync('dpkg-deb', ['-f', deb, name], { encoding: 'utf8' }).trim();
  assert.equal(field('Package'), 'npskit-collector');
  assert.equal(field('Architecture'), 'amd64');
  assert.match(field('Depends'), /libsqlite3-0/);
  for (const f of ['usr/bin/npskit-collector', 'usr/share/npskit/web/npskit.js', 'usr/share/npskit/web/npskit.wasm',
    'usr/share/npskit/web/dashboard/index.html', 'usr/share/npskit/web/dashboard/dashboard.wasm',
    'usr/lib/systemd/system/npskit-collector.service', 'usr/lib/sysusers.d/npskit.conf', 'etc/default/npskit-collector',
    'usr/share/doc/npskit-collector/copyright', 'usr/share/doc/npskit-collector/deploy.md']) {
    assert.ok(existsSync(path.join(root, f)), `${f} is in the package`);
  }
  const control = execFileSync('dpkg-deb', ['--ctrl-tarfile', deb]);
  assert.ok(control.includes('/etc/default/npskit-collector'), 'the defaults file is a conffile (upgrades keep edits)');
  const man = gunzipSync(readFileSync(path.join(root, 'usr/share/man/man1/npskit-collector.1.gz'))).toString();
  assert.match(man, /^\.TH NPSKIT-COLLECTOR "1"/m);
  assert.match(man, /read\\-key/, 'the man page is made from --help');
  assert.match(readFileSync(path.join(root, 'usr/lib/sysusers.d/npskit.conf'), 'utf8'), /^u npskit /m);
});

test('systemd-analyze verifies the unit, and its hardening scores as OK', { skip }, () => {
  // verify needs the targets the unit names (sysinit.target, …): the host's, copied into the root.
  const units = path.join(root, 'usr/lib/systemd/system');
  for (const f of readdirSync('/usr/lib/systemd/system').filter((f) => f.endsWith('.target'))) {
    cpSync(path.join('/usr/lib/systemd/system', f), path.join(units, f), { dereference: true });
  }
  const unit = path.join(units, 'npskit-collector.service');
  const verify = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, unit], { encoding: 'utf8' });
  assert.equal(verify.status, 0, verify.stderr);
  assert.equal(verify.stderr.trim(), '', 'no warning (an unknown key or a missing binary warns)');
  const text = readFileSync(unit, 'utf8');
  for (const line of ['User=npskit', 'StateDirectory=npskit', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'CapabilityBoundingSet=']) {
    assert.match(text, new RegExp(`^${line}$`, 'm'));
  }
  const security = spawnSync('systemd-analyze', ['security', '--offline=yes', `--root=${root}`, unit], { encoding: 'utf8' });
  const exposure = Number(security.stdout.match(/Overall exposure level for npskit-collector\.service: ([\d.]+)/)?.[1]);
  assert.ok(exposure <= 2.0, `exposure ${exposure} (systemd's scale: 0 safest, 10 exposed)`);
});

test('the installed binary serves the installed prompt and dashboard', { skip }, async () => {
  const binary = path.join(root, 'usr/bin/npskit-collector');
  const c = await startCollector({ binary, args: ['--quiet', '--web', path.join(root, 'usr/share/npskit/web')] });
  try {
    assert.equal(c.child.spawnfile, binary);
    for (const [p, type] of [['/dashboard/', /text\/html/], ['/npskit.js', /javascript/], ['/npskit.wasm', /application\/wasm/]]) {
      const res = await fetch(c.base + p);
      assert.equal(res.status, 200, p);
      assert.match(res.headers.get('content-type'), type, p);
    }
    const auth = await fetch(c.base + '/v1/responses?limit=1', { headers: { Authorization: `Bearer ${READ_KEY}` } });
    assert.equal(auth.status, 200);
  } finally {
    await c.stop();
    c.cleanup();
  }
});
