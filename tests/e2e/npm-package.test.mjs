// The npm package as a SaaS front end uses it: tests/fixtures/vite-react-app (React + Vite from its
// lockfile) copied to a temp dir, `npm ci`, `npm install` of the packed tarball
// (build-web/npm/npskit-<version>.tgz, made by `npm run build`), `vite build`, then the production
// build served (same origin as a test endpoint) and opened in Chromium: identify + track show the
// prompt, a click posts a valid record; the same build under docs/js-api.md's strict CSP.
// Needs the npm registry the first time (then ~/.npm's cache). Bounded: each step has a timeout.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestEndpoint } from '../tools/test-endpoint.mjs';
import { BUILD_WEB, launch, ROOT, scaleButton, SHOTS, validateBodies } from './widget-helpers.mjs';

const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const TARBALL = join(BUILD_WEB, 'npm', `npskit-${version}.tgz`);
const FIXTURE = join(ROOT, 'tests', 'fixtures', 'vite-react-app');
const POLICY = readFileSync(join(ROOT, 'docs', 'js-api.md'), 'utf8').match(/^(default-src 'self'; script-src[^\n]+)$/m)[1];

let app, ep, browser;
const timings = {};
function run(step, cmd, args, timeout) {
  const t0 = Date.now();
  execFileSync(cmd, args, { cwd: app, timeout, stdio: ['ignore', 'pipe', 'pipe'],
                            env: { ...process.env, NODE_PATH: '', npm_config_audit: 'false', npm_config_fund: 'false',
                                   npm_config_update_notifier: 'false' } });
  timings[step] = Date.now() - t0;
}

before(async () => {
  if (!existsSync(TARBALL)) throw new Error(`${TARBALL} is missing: npm run build (scripts/build packs it)`);
  app = mkdtempSync(join(tmpdir(), 'npskit-vite-'));
  cpSync(FIXTURE, app, { recursive: true, filter: (f) => !f.includes('node_modules') && !f.endsWith('/dist') });
  run('npm ci', 'npm', ['ci', '--prefer-offline'], 100_000);
  run('npm install tarball', 'npm', ['install', '--prefer-offline', TARBALL], 60_000);
  run('vite build', process.execPath, [join(app, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], 100_000);
  console.log(`# vite app: ${Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')}`);
  const dist = join(app, 'dist');
  const index = readFileSync(join(dist, 'index.html'), 'utf8');
  ep = await startTestEndpoint({ roots: { '/': dist },
                                 pages: { '/strict': { body: index, headers: { 'Content-Security-Policy': POLICY } } } });
  browser = await launch();
  mkdirSync(SHOTS, { recursive: true });
}, { timeout: 280_000 });
after(async () => {
  await browser?.close();
  await ep?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

test('the tarball holds the package files and nothing else', () => {
  const files = execFileSync('tar', ['-tzf', TARBALL], { encoding: 'utf8' }).trim().split('\n').sort();
  assert.deepEqual(files, ['package/README.md', 'package/npskit.d.ts', 'package/npskit.js', 'package/npskit.mjs',
                           'package/npskit.wasm', 'package/package.json']);
  const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'npskit', 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'npskit');
  assert.equal(pkg.version, version, 'the package has the repository version');
  assert.equal(pkg.exports['.'].default, './npskit.mjs');
  assert.equal(pkg.types, './npskit.d.ts');
});

test('vite emits npskit.js and npskit.wasm as assets of the production build', () => {
  const assets = readdirSync(join(app, 'dist', 'assets'));
  const js = assets.find((f) => /^npskit-[\w-]+\.js$/.test(f));
  const wasm = assets.find((f) => /^npskit-[\w-]+\.wasm$/.test(f));
  assert.ok(js && wasm, `assets: ${assets.join(', ')}`);
  assert.equal(statSync(join(app, 'dist', 'assets', wasm)).size, statSync(join(app, 'node_modules', 'npskit', 'npskit.wasm')).size);
});

async function answerIn(path) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // A failed load is named by its URL (the console's own message has none); the browser's favicon probe is not ours.
  page.on('console', (m) => { if ((m.type() === 'error' || m.type() === 'warning') && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`); });
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(ep.origin + path);
  await page.locator('#end-trial').waitFor();  // React rendered
  await page.waitForFunction(() => window.npskit && window.npskit.loaded);
  assert.equal(await page.locator('npskit-prompt').count(), 0, 'no prompt before track');
  await page.click('#end-trial');  // npskit('track', 'trial_ended', { plan: 'pro' })
  await scaleButton(page, 8).click();
  const mine = () => ep.posts.filter((p) => p.body && p.body.page === path && p.body.type === 'response');
  await ep.waitFor(() => mine().length > 0);
  const record = mine()[0].body;
  assert.equal(record.score, 8);
  assert.equal(record.trigger, 'trial_ended');
  assert.equal(record.user, 'user-42', 'identify from the React effect reached the record');
  const v = validateBodies(ep.posts.filter((p) => p.body && p.body.page === path).map((p) => p.text));
  assert.equal(v.invalid, 0, v.output);
  await page.screenshot({ path: join(SHOTS, `vite-react${path.replace(/\W/g, '-')}.png`) });
  const violations = await page.evaluate(() => window.__violations);
  await context.close();
  return { errors, violations };
}

test('in the Vite/React production build, identify + track show the prompt and the answer is posted', async () => {
  const { errors } = await answerIn('/');
  assert.deepEqual(errors, []);
});

test('the same build under the strict CSP of docs/js-api.md: it works and nothing is blocked', async () => {
  assert.doesNotMatch(POLICY, /unsafe-inline/);
  const { errors, violations } = await answerIn('/strict');
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
});
