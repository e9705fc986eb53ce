// The widget's cross-engine cases in Firefox (firefox-esr through puppeteer-core over WebDriver BiDi,
// tests/e2e/browsers.mjs), mirroring the Chromium tests in widget.test.mjs, widget-look.test.mjs and
// widget-examples.test.mjs: show on track, mouse and keyboard answers, follow-up, POST bodies valid
// (read on the server: BiDi has no postData), dismissal and retries across a reload, hostile host CSS
// (pixels within tolerance), the strict CSP, axe-core clean.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestEndpoint } from '../tools/test-endpoint.mjs';
import { firefoxMissing, inPrompt, launchFirefox, waitInPrompt, waitUntil } from './browsers.mjs';
import { DIST, hostPage, requireBundle, ROOT, SHOTS, sleep, validateBodies } from './widget-helpers.mjs';

const require = createRequire(import.meta.url);
const { PNG } = require('pngjs');
const AXE = require.resolve('axe-core/axe.min.js');
const skip = firefoxMissing();

let ff, ep;
before(async () => {
  if (skip) return;
  requireBundle();
  ep = await startTestEndpoint({ roots: { '/': DIST, '/examples/': join(ROOT, 'examples') } });
  ff = await launchFirefox();
  mkdirSync(SHOTS, { recursive: true });
}, { timeout: 90_000 });
after(async () => {
  await ff?.close();
  await ep?.close();
});

const postsFor = (path) => ep.posts.filter((p) => p.body && p.body.page === path);
function assertValid(bodies) {
  const v = validateBodies(bodies);
  assert.equal(v.invalid, 0, v.output);
  assert.equal(v.valid, bodies.length, v.output);
}
const loaded = (page) => waitUntil(page, () => window.npskit && window.npskit.loaded, undefined, { what: 'npskit to load' });
const promptCount = (page) => page.evaluate(() => document.querySelectorAll('npskit-prompt').length);

async function open(path, options = {}, pageOptions = {}) {
  ep.setPage(path, { body: hostPage(options) });
  const page = await ff.newPage(pageOptions);
  await page.goto(ep.origin + path);
  await loaded(page);
  return page;
}

test('Firefox, mouse: track shows the prompt, score sent at once, follow-up comment updates the same id', { skip }, async () => {
  const page = await open('/ff-mouse');
  assert.equal(await promptCount(page), 0, 'no prompt before a trigger');
  await page.click('#b1');  // npskit('track', 'trial_ended', {plan: 'pro'})
  await (await waitInPrompt(page, '[role=radio]', 9)).click();
  await ep.waitFor(() => postsFor('/ff-mouse').some((p) => p.body.type === 'response'));
  const first = postsFor('/ff-mouse').find((p) => p.body.type === 'response').body;
  assert.equal(first.score, 9);
  assert.equal(first.trigger, 'trial_ended');
  assert.equal(first.comment, undefined);
  const area = await waitInPrompt(page, 'textarea');
  await area.type('Fast "exports"\nand the API');
  await (await inPrompt(page, '.r .p')).click();
  await ep.waitFor(() => postsFor('/ff-mouse').some((p) => p.body.comment));
  const update = postsFor('/ff-mouse').find((p) => p.body.comment).body;
  assert.equal(update.id, first.id, 'the comment updates the same record');
  assert.equal(update.comment, 'Fast "exports"\nand the API');
  assert.equal(postsFor('/ff-mouse').filter((p) => p.body.type === 'shown').length, 1, 'one display event');
  assert.ok(postsFor('/ff-mouse').every((p) => p.contentType.startsWith('application/json')));
  assertValid(postsFor('/ff-mouse').map((p) => p.text));
  assert.deepEqual(page.errors.filter((e) => !e.includes('favicon')), []);
});

test('Firefox, keyboard: focus is not stolen from a field; arrows rove; "1" then "0" chooses 10; Esc closes', { skip }, async () => {
  const page = await open('/ff-keys');
  await page.focus('#notes');
  await page.keyboard.type('typing');
  await page.evaluate(() => npskit('track', 'trial_ended'));
  await waitInPrompt(page, '.w');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'notes', 'the field keeps focus');
  await page.keyboard.type(' more');
  assert.equal(await page.$eval('#notes', (e) => e.value), 'typing more');
  await (await inPrompt(page, '[role=radio]', 0)).focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  const focused = () => page.evaluate(() => document.querySelector('npskit-prompt').shadowRoot.activeElement?.textContent);
  assert.equal(await focused(), '2');
  assert.equal(await (await inPrompt(page, '[role=radio]', 2)).evaluate((e) => e.getAttribute('tabindex')), '0', 'roving tabindex');
  await page.keyboard.press('End');
  assert.equal(await focused(), '10');
  await page.keyboard.press('1');
  await page.keyboard.press('0');
  await ep.waitFor(() => postsFor('/ff-keys').some((p) => p.body.type === 'response'));
  assert.equal(postsFor('/ff-keys').find((p) => p.body.type === 'response').body.score, 10);
  await waitUntil(page, () => document.querySelector('npskit-prompt')?.shadowRoot.activeElement?.tagName === 'TEXTAREA',
                  undefined, { what: 'focus in the follow-up' });
  await page.keyboard.press('Escape');
  await waitUntil(page, () => !document.querySelector('npskit-prompt'), undefined, { what: 'Esc to close' });
  assert.ok(!postsFor('/ff-keys').some((p) => p.body.type === 'dismissed'), 'closing after an answer is not a dismissal');
  assertValid(postsFor('/ff-keys').map((p) => p.text));
});

test('Firefox: a dismissal is respected after a reload', { skip }, async () => {
  const page = await open('/ff-dismiss');
  await page.click('#b1');
  await waitInPrompt(page, '.w');
  await page.keyboard.press('Escape');
  await ep.waitFor(() => postsFor('/ff-dismiss').some((p) => p.body.type === 'dismissed'));
  assert.equal(await promptCount(page), 0);
  await page.reload();
  await loaded(page);
  await page.click('#b1');
  await sleep(400);
  assert.equal(await promptCount(page), 0, 'not shown again after a dismissal');
  await page.evaluate(() => npskit('show'));
  await waitInPrompt(page, '.w');
  assert.equal(postsFor('/ff-dismiss').find((p) => p.body.type === 'dismissed').body.trigger, 'trial_ended');
  assertValid(postsFor('/ff-dismiss').map((p) => p.text));
});

test('Firefox: 503 three times then 202 across a reload, delivered exactly once from localStorage', { skip }, async () => {
  const page = await open('/ff-reload', { data: { displayEvents: 'false', retryBaseMs: '1500' } });
  ep.setFailures(3, 503);
  await page.click('#b1');
  await (await waitInPrompt(page, '[role=radio]', 6)).click();
  await ep.waitFor(() => postsFor('/ff-reload').length >= 1);
  assert.match(await page.evaluate(() => localStorage.getItem('npskit:q')), /"score":6/);
  await page.reload();  // while the item waits for its retry
  await ep.waitFor(() => postsFor('/ff-reload').some((p) => p.status === 202), 20000);
  await sleep(500);
  const posts = postsFor('/ff-reload');
  assert.deepEqual(posts.map((p) => p.status), [503, 503, 503, 202]);
  assert.equal(new Set(posts.map((p) => p.body.id)).size, 1, 'one id throughout');
  assert.equal(await page.evaluate(() => localStorage.getItem('npskit:q')), '', 'queue empty once delivered');
  assertValid([posts[3].text]);
});

// Same hostile sheet as widget-look.test.mjs.
const HOSTILE = `<style>
* { all: unset !important; }
button { display: none !important; }
html { font-size: 64px !important; }
body { font: italic 48px/3 serif !important; color: #c00 !important; letter-spacing: 4px !important; direction: ltr; }
div, section { display: none !important; }
:root { --b: red; --bt: blue; --m: green; }
</style>`;

function diffRatio(a, b) {
  const x = PNG.sync.read(a), y = PNG.sync.read(b);
  assert.equal(x.width, y.width, 'same width');
  assert.equal(x.height, y.height, 'same height');
  let differ = 0;
  for (let i = 0; i < x.data.length; i += 4) {
    const d = Math.max(Math.abs(x.data[i] - y.data[i]), Math.abs(x.data[i + 1] - y.data[i + 1]), Math.abs(x.data[i + 2] - y.data[i + 2]));
    if (d > 24) differ++;
  }
  return differ / (x.width * x.height);
}

test('Firefox: hostile host CSS does not change the prompt (pixels within 1 %)', { skip }, async () => {
  const plain = await open('/ff-plain'), hostile = await open('/ff-hostile', { head: HOSTILE });
  const boxes = [];
  for (const page of [plain, hostile]) {
    await page.evaluate(() => npskit('show'));
    const card = await waitInPrompt(page, '.w');
    await page.mouse.move(0, 0);
    await sleep(300);  // the entry animation (0.18 s) ...
    // ... which a busy machine can still be running: wait for it to finish (its start is 10 px lower).
    await page.evaluate(() => Promise.all(document.querySelector('npskit-prompt').shadowRoot.querySelector('.w')
      .getAnimations().map((a) => a.finished)));
    await (await inPrompt(page, '[role=radio]', 0)).focus();  // same focus state on both
    await sleep(100);
    // Measured from the viewport's right and bottom edges: the hostile page's huge text can give
    // it classic scrollbars in Firefox (12 px, vertical and horizontal), which move a prompt
    // anchored bottom-right without changing it.
    const box = await card.boundingBox();
    const { right, bottom } = await page.evaluate((b) => ({ right: document.documentElement.clientWidth - (b.x + b.width),
      bottom: document.documentElement.clientHeight - (b.y + b.height) }), box);
    boxes.push({ box, at: { right, bottom, width: box.width, height: box.height } });
    await page.screenshot({ path: join(SHOTS, `firefox-${page === plain ? 'hostile-reference' : 'hostile-page'}.png`) });
  }
  assert.deepEqual(boxes[1].at, boxes[0].at, 'same place and size');
  const clip = (b) => ({ x: b.x, y: b.y, width: b.width, height: b.height });
  const ratio = diffRatio(await plain.screenshot({ clip: clip(boxes[0].box) }), await hostile.screenshot({ clip: clip(boxes[1].box) }));
  assert.ok(ratio < 0.01, `${(ratio * 100).toFixed(2)} % of the prompt's pixels differ`);
  assert.equal(await hostile.$eval('#b1', (e) => e.checkVisibility()), false, 'the hostile CSS is in force');
});

test('Firefox: examples/csp-strict works under its strict CSP with no violation', { skip }, async () => {
  const html = readFileSync(join(ROOT, 'examples', 'csp-strict', 'index.html'), 'utf8');
  const policy = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)[1];
  assert.doesNotMatch(policy, /unsafe-inline/);
  ep.setPage('/examples/csp-strict/', { body: html, headers: { 'Content-Security-Policy': policy } });
  const page = await ff.newPage();
  await page.evaluateOnNewDocument(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(ep.origin + '/examples/csp-strict/');
  await loaded(page);
  await page.click('#finish');
  const first = await waitInPrompt(page, '[role=radio]', 0);
  assert.equal(await first.evaluate((e) => getComputedStyle(e).borderTopStyle), 'solid', 'styles applied');
  await (await inPrompt(page, '[role=radio]', 8)).click();
  const mine = () => ep.posts.filter((p) => p.body && p.body.page === '/examples/csp-strict/' && p.body.type === 'response');
  await ep.waitFor(() => mine().length > 0);
  assert.equal(mine()[0].body.score, 8);
  await page.screenshot({ path: join(SHOTS, 'firefox-csp-strict.png') });
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  assert.deepEqual(page.errors.filter((e) => !e.includes('404') && !e.includes('favicon')), []);
});

test('Firefox: axe-core reports no violation on each step, light and dark', { skip }, async () => {
  const axe = readFileSync(AXE, 'utf8');
  // Dark by the theme option: emulating prefers-color-scheme needs CDP, which BiDi Firefox lacks.
  for (const [path, data] of [['/ff-axe', {}], ['/ff-axe-dark', { theme: 'dark' }]]) {
    const page = await open(path, { data });
    await page.evaluate(axe);  // not addScriptTag: over BiDi it needs CDP
    const check = async (step) => {
      await sleep(300);
      const found = await page.evaluate(async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        // Firefox serialises the host's `all: initial !important` (its shield against host CSS) into
        // longhands, letter-spacing and line-height among them, so axe's avoid-inline-spacing sees
        // them on <npskit-prompt> (Chromium keeps `all`, which axe does not read). A reader's own
        // !important text spacing still wins over an author's !important in the cascade. Only that
        // rule on that one element is set aside; any other node or rule fails.
        return r.violations.map((v) => ({ ...v, nodes: v.nodes.filter((n) => !(v.id === 'avoid-inline-spacing' && n.target.join(' ') === 'npskit-prompt')) }))
          .filter((v) => v.nodes.length)
          .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
      assert.deepEqual(found, [], `${path} ${step}`);
    };
    await page.evaluate(() => npskit('show'));
    await waitInPrompt(page, '.w');
    await check('scale');
    await (await inPrompt(page, '[role=radio]', 3)).click();
    await waitInPrompt(page, '.r .g');
    await check('follow-up');
    await (await inPrompt(page, '.r .g')).click();
    await check('thank-you');
  }
});
