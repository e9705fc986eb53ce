// How the prompt looks and reads: the same under hostile host CSS (pixel comparison), light and
// dark, narrow (bottom sheet, 44 px touch targets) and wide, French, right-to-left, every position,
// and axe-core clean on each step. Screenshots go to $NPSKIT_BUILD_WEB/screenshots/widget/.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hostPage, promptCard, scaleButton, setup, SHOTS } from './widget-helpers.mjs';

const require = createRequire(import.meta.url);
const { PNG } = require('pngjs');
const AXE = require.resolve('axe-core/axe.min.js');

let s;
before(async () => {
  s = await setup();
});
after(async () => {
  await s?.close();
});

const HOSTILE = `<style>
* { all: unset !important; }
button { display: none !important; }
html { font-size: 64px !important; }
body { font: italic 48px/3 serif !important; color: #c00 !important; letter-spacing: 4px !important; direction: ltr; }
div, section { display: none !important; }
:root { --b: red; --bt: blue; --m: green; }
</style>`;

async function open(path, { data = {}, head = '', pageOptions = {} } = {}) {
  s.ep.setPage(path, { body: hostPage({ data, head }) });
  const page = await s.newPage(pageOptions);
  await page.goto(s.ep.origin + path);
  await page.waitForFunction(() => window.npskit && window.npskit.loaded);
  return page;
}

async function showAndShoot(page, name) {
  await page.evaluate(() => npskit('show'));
  await promptCard(page).waitFor();
  await page.mouse.move(0, 0);
  await page.waitForTimeout(250);  // the entry animation (0.18 s)
  await page.screenshot({ path: join(SHOTS, name + '.png') });
  return page;
}

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

test('hostile host CSS (* { all: unset }, button { display: none }, huge fonts) does not change the prompt', async () => {
  const plain = await open('/plain');
  const hostile = await open('/hostile', { head: HOSTILE });
  for (const page of [plain, hostile]) {
    await showAndShoot(page, page === plain ? 'hostile-reference' : 'hostile-page');
    await scaleButton(page, 0).focus();  // same focus state on both
  }
  const boxA = await promptCard(plain).boundingBox(), boxB = await promptCard(hostile).boundingBox();
  assert.deepEqual(boxB, boxA, 'same place and size');
  const clip = { x: boxA.x, y: boxA.y, width: boxA.width, height: boxA.height };
  const ratio = diffRatio(await plain.screenshot({ clip }), await hostile.screenshot({ clip }));
  assert.ok(ratio < 0.01, `${(ratio * 100).toFixed(2)} % of the prompt's pixels differ`);
  // The host page's own buttons really are hidden: the hostile CSS is in force.
  assert.equal(await hostile.locator('#b1').isVisible(), false);
});

test('light and dark, wide and narrow (bottom sheet with 44 px touch targets)', async () => {
  const light = await showAndShoot(await open('/light'), 'scale-light-1280');
  const dark = await showAndShoot(await open('/dark', { pageOptions: { colorScheme: 'dark' } }), 'scale-dark-1280');
  const bg = (p) => promptCard(p).evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.equal(await bg(light), 'rgb(255, 255, 255)');
  assert.equal(await bg(dark), 'rgb(28, 33, 40)', 'theme auto follows prefers-color-scheme');
  const forced = await showAndShoot(await open('/forced-dark', { data: { theme: 'dark' } }), 'scale-dark-forced');
  assert.equal(await bg(forced), 'rgb(28, 33, 40)');
  const wide = await promptCard(light).boundingBox();
  assert.ok(wide.width <= 420 && wide.x + wide.width <= 1280 - 19, 'bottom-right card on a wide screen');

  const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 };
  for (const [name, options] of [['scale-light-390', phone], ['scale-dark-390', { ...phone, colorScheme: 'dark' }]]) {
    const page = await showAndShoot(await open('/' + name, { pageOptions: options }), name);
    const box = await promptCard(page).boundingBox();
    assert.equal(box.x, 0);
    assert.equal(box.width, 390, 'full-width bottom sheet');
    assert.ok(Math.abs(box.y + box.height - 844) < 1, 'anchored to the bottom');
    for (let n = 0; n <= 10; n++) {
      const b = await scaleButton(page, n).boundingBox();
      assert.ok(b.height >= 44 && b.width >= 44, `score ${n} is a 44 px target (${b.width}x${b.height})`);
    }
    const close = await page.locator('npskit-prompt .x').boundingBox();
    assert.ok(close.width >= 44 && close.height >= 44);
  }
  const narrowDesk = await showAndShoot(await open('/narrow-mouse', { pageOptions: { viewport: { width: 390, height: 700 } } }), 'scale-light-390-mouse');
  assert.equal((await promptCard(narrowDesk).boundingBox()).width, 390);
});

test('positions, brand colour, follow-up and thank-you screens', async () => {
  const center = await showAndShoot(await open('/center', { data: { position: 'center', brand: '#7c3aed' } }), 'center-modal');
  assert.equal(await promptCard(center).getAttribute('aria-modal'), 'true');
  const box = await promptCard(center).boundingBox();
  assert.ok(Math.abs(box.x + box.width / 2 - 640) < 2 && Math.abs(box.y + box.height / 2 - 400) < 2, 'centred');
  await scaleButton(center, 9).hover();
  assert.equal(await scaleButton(center, 9).evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(124, 58, 237)');
  const bc = await showAndShoot(await open('/bottom-center', { data: { position: 'bottom-center', brand: '#facc15' } }), 'bottom-center');
  const b = await promptCard(bc).boundingBox();
  assert.ok(Math.abs(b.x + b.width / 2 - 640) < 2);
  await scaleButton(bc, 1).click();  // detractor
  await bc.mouse.move(0, 0);
  await bc.screenshot({ path: join(SHOTS, 'follow-up-detractor.png') });
  assert.equal(await bc.locator('npskit-prompt .q').textContent(), 'What disappointed you or was missing?');
  // Light brand colour -> dark text on it.
  assert.equal(await bc.locator('npskit-prompt .r .p').evaluate((e) => getComputedStyle(e).color), 'rgb(17, 17, 17)');
  await bc.locator('npskit-prompt .r .g').click();
  await bc.screenshot({ path: join(SHOTS, 'thanks-detractor.png') });
  assert.equal(await bc.locator('npskit-prompt .t').first().textContent(), 'May we contact you about this?');

  const promoter = await showAndShoot(await open('/promoter', { data: { promoterUrl: 'https://example.com/review' } }), 'promoter-scale');
  await scaleButton(promoter, 10).click();
  assert.equal(await promoter.locator('npskit-prompt .q').textContent(), 'What do you like most?');
  await promoter.locator('npskit-prompt .r .g').click();
  const link = promoter.locator('npskit-prompt a.p');
  assert.equal(await link.getAttribute('href'), 'https://example.com/review');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  await promoter.mouse.move(0, 0);
  await promoter.screenshot({ path: join(SHOTS, 'thanks-promoter.png') });
});

test('French built in; right-to-left for Hebrew with overridden strings', async () => {
  const fr = await showAndShoot(await open('/fr', { data: { locale: 'fr-FR' } }), 'scale-fr');
  assert.equal(await fr.locator('npskit-prompt .q').textContent(),
    'Quelle est la probabilité que vous recommandiez Acme à un ami ou un collègue\u00a0?');
  assert.equal(await scaleButton(fr, 7).getAttribute('aria-label'), '7, sur 10');
  assert.equal(await promptCard(fr).getAttribute('lang'), 'fr');
  const fromNavigator = await showAndShoot(await open('/fr-nav', { pageOptions: { locale: 'fr-CA' } }), 'scale-fr-navigator');
  assert.match(await fromNavigator.locator('npskit-prompt .e').textContent(), /Pas du tout probable/);

  s.ep.setPage('/he', {
    body: hostPage({
      data: { locale: 'he' },
      calls: `npskit('init', { texts: { question: 'עד כמה סביר שתמליצו על {product} לחבר או לעמית?',
        low_label: 'כלל לא סביר', high_label: 'סביר מאוד', score_label: '{n} מתוך 10', close: 'סגירה' } })`,
    }),
  });
  const he = await s.newPage();
  await he.goto(s.ep.origin + '/he');
  await he.waitForFunction(() => window.npskit && window.npskit.loaded);
  await showAndShoot(he, 'scale-he-rtl');
  assert.equal(await promptCard(he).getAttribute('dir'), 'rtl');
  assert.match(await he.locator('npskit-prompt .q').textContent(), /Acme/);
  const zero = await scaleButton(he, 0).boundingBox(), ten = await scaleButton(he, 10).boundingBox();
  assert.ok(zero.x > ten.x, '0 on the right, 10 on the left');
  const narrow = await s.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await narrow.goto(s.ep.origin + '/he');
  await narrow.waitForFunction(() => window.npskit && window.npskit.loaded);
  await showAndShoot(narrow, 'scale-he-rtl-390');
});

test('axe-core reports no violation on each step', async () => {
  for (const [path, options] of [['/axe', {}], ['/axe-dark', { colorScheme: 'dark' }]]) {
    const page = await open(path, { pageOptions: options });
    await page.addScriptTag({ path: AXE });
    const check = async (step) => {
      await page.waitForTimeout(250);
      const r = await page.evaluate(() => axe.run(document, { resultTypes: ['violations'] }));
      const found = r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      assert.deepEqual(found, [], `${path} ${step}`);
    };
    await page.evaluate(() => npskit('show'));
    await promptCard(page).waitFor();
    await check('scale');
    await scaleButton(page, 3).click();
    await check('follow-up');
    await page.locator('npskit-prompt .r .g').click();
    await check('thank-you');
    await page.locator('npskit-prompt .r .p').click();
    await check('contact given');
  }
});
