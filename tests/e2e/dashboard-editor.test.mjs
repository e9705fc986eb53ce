// The survey editor (issue 16 item 5) in a real browser against a real collector (--admin-key):
// a survey opens from GET /v1/surveys, edits in the form reach the draft, the preview is the
// widget bundle itself (widget/npskit.js in an iframe) showing the draft's words; a valid draft
// saves a new version (the collector's GET returns it), an invalid one is refused with the core's
// message (the very one the collector answers) and nothing is saved; a version changed meanwhile
// (412) reloads; an old version restores. Screenshots, light and dark, 390 px and 1440 px, go to
// $NPSKIT_SHOTS (default /tmp/shots/editor) for a person to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_NATIVE, DASHBOARD_DIR, click, fresh, launchBrowser, retype, waitForLoad, waitForState } from './dashboard-helpers.mjs';

const COLLECTOR = join(BUILD_NATIVE, 'npskit-collector');
const skip = !existsSync(join(DASHBOARD_DIR, 'dashboard.wasm')) ? 'no dashboard bundle'
  : !existsSync(join(DASHBOARD_DIR, 'widget', 'npskit.wasm')) ? 'no widget bundle beside the dashboard'
  : !existsSync(COLLECTOR) ? `no collector at ${COLLECTOR}` : false;
const KEY = 'dashboard-editor-read-key';
const ADMIN_KEY = 'dashboard-editor-admin-key';
const SHOTS = process.env.NPSKIT_SHOTS || '/tmp/shots/editor';
const dir = mkdtempSync(join(tmpdir(), 'npskit-editor-'));
let browser, collector;

function startCollector() {
  const args = ['--port', '0', '--db', join(dir, 'e.db'), '--read-key', KEY, '--admin-key', ADMIN_KEY, '--web', DASHBOARD_DIR, '--quiet'];
  const child = spawn(COLLECTOR, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr.on('data', (d) => {
      text += d;
      for (const line of text.split('\n'))
        if (line.includes('"listening"')) resolve({ url: `http://127.0.0.1:${JSON.parse(line).port}`, child });
    });
    child.on('exit', (code) => reject(new Error(`collector exited (${code}): ${text}`)));
  });
}

const api = (path, init = {}) => fetch(collector.url + path, init);
const put = (id, body, headers = {}) => api(`/v1/surveys/${id}`, {
  method: 'PUT', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}`, ...headers } });
const versions = async (id) => (await (await api(`/v1/surveys/${id}/versions`, { headers: { authorization: `Bearer ${KEY}` } })).json()).versions;
const V1 = '{"product":"Acme","sample":50}';
const V2 = '{"product":"Acme","sample":50,"texts":{"question":"How likely are you to recommend {product} to a teammate?"},"position":"bottom-right"}';

before(async () => {
  if (skip) return;
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
  collector = await startCollector();
  const r = await api('/v1/responses', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ v: 1, id: 'editor-answer-000001', type: 'response', survey: 'product-nps', score: 9, ts: new Date().toISOString() }) });
  assert.equal(r.status, 202, await r.text());
  assert.equal((await put('product-nps', V1, { 'x-npskit-actor': 'seed' })).status, 201);
  assert.equal((await put('product-nps', V2, { 'x-npskit-actor': 'seed' })).status, 200);
  assert.equal((await put('onboarding', '{"active":false}')).status, 201);
});
after(async () => {
  await browser?.close();
  if (collector) { collector.child.kill('SIGTERM'); await new Promise((ok) => collector.child.once('exit', ok)); }
  rmSync(dir, { recursive: true, force: true });
});

// Headless Chromium (SwiftShader) keeps compositing a band of the canvas's frame from before the
// iframe appeared, above it, until the iframe is restyled: restyle it, then capture.
async function shot(page, name) {
  for (const opacity of ['0.99', '']) {
    await page.evaluate((o) => { const f = document.getElementById('npskit-preview'); if (f) f.style.opacity = o; }, opacity);
    await page.waitForTimeout(120);
  }
  await page.screenshot({ path: join(SHOTS, name) });
}
// The prompt's text inside the preview iframe (the widget's own shadow DOM), once it shows.
async function previewText(page, expect, timeout = 15000) {
  const start = Date.now();
  let last = '';
  while (Date.now() - start < timeout) {
    const frame = page.frames().find((f) => /\/preview\.html\?\d+$/.test(f.url()));
    if (frame) {
      last = await frame.evaluate(() => {
        const p = document.querySelector('npskit-prompt');
        return p && p.shadowRoot ? p.shadowRoot.textContent : '';
      }).catch(() => '');
      if (last && (!expect || expect.test(last))) return last;
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`the preview never showed ${expect}; last text: ${last}`);
}
async function openEditor(page, width, theme = '') {
  await page.goto(`${collector.url}/index.html#key=${KEY}${theme ? '&theme=' + theme : ''}`);
  await waitForLoad(page);
  let s = await waitForState(page, (x) => x.ui.editor_open, { what: 'the Edit surveys button' });
  await click(page, s.ui.editor_open);
  s = await waitForState(page, (x) => x.editor.listed && x.ui['editor_survey_product-nps'], { what: 'the survey list' });
  assert.deepEqual(s.editor.surveys, ['onboarding', 'product-nps']);
  await click(page, s.ui['editor_survey_product-nps']);
  s = await waitForState(page, (x) => x.editor.selected === 'product-nps' && x.editor.versions.length >= 2, { what: 'the survey open' });
  return fresh(page);
}

test('editor: edits reach the preview (the real widget); a valid draft saves a new version, an invalid one is refused with the core\'s message', { skip }, async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1500 }, deviceScaleFactor: 1 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  let s = await openEditor(page, 1440);
  assert.equal(s.editor.version, 2);
  assert.deepEqual(JSON.parse(s.editor.draft), JSON.parse(V2));
  assert.equal(s.editor.errors.length, 0);
  // The preview is the widget bundle served beside the dashboard, showing the stored question.
  assert.match(await previewText(page, /teammate/), /How likely are you to recommend Acme to a teammate\?/);
  await page.waitForTimeout(300);  // the prompt's entrance, when it focuses its scale
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'canvas', 'the preview took the keyboard');

  // The question and the sampling through the form: the preview follows.
  await retype(page, s.ui['editor_field_texts.question'], 'Would you recommend {product} to a friend?');
  await retype(page, s.ui.editor_field_sample, '30');
  s = await waitForState(page, (x) => /"sample": 30/.test(x.editor.draft) && /to a friend\?/.test(x.editor.draft), { what: 'the edits in the draft' });
  assert.equal(s.editor.errors.length, 0);
  assert.equal(s.editor.dirty, true);
  assert.match(await previewText(page, /to a friend\?/), /Would you recommend Acme to a friend\?/);
  // The preview, reloaded for the draft, left the keyboard with the editor (the prompt inside it
  // focuses its scale when it shows): the next field takes the keys typed.
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'canvas');

  // Invalid: the core's message, as typed; Save refuses; the collector keeps version 2.
  s = await fresh(page);
  await retype(page, s.ui.editor_field_sample, '500');
  s = await waitForState(page, (x) => x.editor.errors.length === 1, { what: 'the core\'s message' });
  assert.deepEqual(s.editor.errors[0], { field: 'sample', code: 'out_of_range', message: 'must be a number from 0 to 100' });
  // The same message the collector itself answers for this draft (one validator).
  const refused = await put('product-nps', s.editor.draft);
  assert.equal(refused.status, 400);
  assert.deepEqual((await refused.json()).errors, s.editor.errors);
  await shot(page, 'editor-invalid-light-1440.png');
  // The key and the name, then Save: refused here, nothing sent.
  s = await fresh(page);
  await retype(page, s.ui.editor_by, 'anna');
  s = await fresh(page);
  await retype(page, s.ui.editor_key, ADMIN_KEY);
  s = await fresh(page);
  await click(page, s.ui.editor_save);
  s = await waitForState(page, (x) => /^Not saved: 1 problem/.test(x.editor.message), { what: 'the refusal' });
  assert.equal(s.editor.message, 'Not saved: 1 problem (sample must be a number from 0 to 100).');
  assert.equal((await versions('product-nps')).length, 2);
  assert.equal(await (await api('/v1/surveys/product-nps')).text(), V2);

  // Valid again: saved as version 3, the collector serves it, the list of versions has it.
  s = await fresh(page);
  await retype(page, s.ui.editor_field_sample, '30');
  s = await waitForState(page, (x) => x.editor.errors.length === 0 && /"sample": 30/.test(x.editor.draft), { what: 'a valid draft' });
  const draft = s.editor.draft;
  s = await fresh(page);
  await click(page, s.ui.editor_save);
  s = await waitForState(page, (x) => x.editor.message === 'Saved: version 3.' && x.editor.version === 3 && x.editor.versions.length === 3,
    { what: 'the saved version' });
  assert.equal(await (await api('/v1/surveys/product-nps')).text(), draft);
  const vs = await versions('product-nps');
  assert.equal(vs.length, 3);
  assert.equal(vs[0].by, 'anna');
  assert.deepEqual(vs[0].definition, { product: 'Acme', sample: 30, texts: { question: 'Would you recommend {product} to a friend?' }, position: 'bottom-right' });
  assert.equal(s.editor.dirty, false);
  await shot(page, 'editor-saved-light-1440.png');

  // The admin key: never in the address, never in storage.
  assert.ok(!page.url().includes(ADMIN_KEY), page.url());
  const stores = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.ok(!stores.includes(ADMIN_KEY), stores);

  // Changed meanwhile (another PUT): Save answers 412, says so, reloads the current version.
  assert.equal((await put('product-nps', '{"product":"Acme","sample":10}', { 'x-npskit-actor': 'elsewhere' })).status, 200);
  s = await fresh(page);
  await retype(page, s.ui.editor_field_product, 'Acme Cloud');
  s = await waitForState(page, (x) => /Acme Cloud/.test(x.editor.draft), { what: 'the product edit' });
  s = await fresh(page);
  await click(page, s.ui.editor_save);
  s = await waitForState(page, (x) => /changed meanwhile/.test(x.editor.message) && x.editor.version === 4, { what: 'the 412 and the reload' });
  assert.deepEqual(JSON.parse(s.editor.draft), { product: 'Acme', sample: 10 });
  assert.equal((await versions('product-nps')).length, 4);
  assert.deepEqual(errors, []);
  await page.close();
});

test('editor: the version list restores an old version (its very bytes, as a new version)', { skip }, async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1500 }, deviceScaleFactor: 1 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const before = await versions('product-nps');
  const oldest = before[before.length - 1];
  assert.equal(oldest.version, 1);
  let s = await openEditor(page, 1440);
  assert.equal(s.editor.versions.length, before.length);
  await retype(page, s.ui.editor_key, ADMIN_KEY);
  s = await fresh(page);
  const row = before.length - 1;  // the oldest, last in the list
  assert.ok(s.ui[`editor_restore_${row}`], 'a Restore button for version 1');
  await click(page, s.ui[`editor_restore_${row}`]);
  s = await waitForState(page, (x) => /^Restored version 1 as version/.test(x.editor.message) && x.editor.versions.length === before.length + 1,
    { what: 'the restore' });
  const res = await api('/v1/surveys/product-nps');
  assert.equal(await res.text(), V1);  // the bytes of version 1
  assert.equal(res.headers.get('etag'), oldest.etag);
  assert.deepEqual(JSON.parse(s.editor.draft), JSON.parse(V1));
  assert.match(await previewText(page, /recommend Acme/), /How likely are you to recommend Acme to a friend or colleague\?/);
  // The previews sent nothing to the collector: its one answer is the one planted.
  const rows = await (await api('/v1/responses', { headers: { authorization: `Bearer ${KEY}` } })).json();
  assert.deepEqual(rows.items.map((r) => r.id), ['editor-answer-000001']);
  assert.deepEqual(errors, []);
  await page.close();
});

for (const theme of ['light', 'dark']) {
  for (const width of [390, 1440]) {
    test(`screenshot: the editor and its preview, ${theme}, ${width} px`, { skip }, async () => {
      const dpr = width === 390 ? 3 : 1;
      const page = await browser.newPage({ viewport: { width, height: width === 390 ? 844 : 1000 }, deviceScaleFactor: dpr, colorScheme: theme });
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const s = await openEditor(page, width, theme);
      assert.equal(s.filters.theme, theme);
      await previewText(page, /recommend/);
      await page.waitForTimeout(400);  // the prompt's entrance
      await shot(page, `editor-${theme}-${width}.png`);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
}
