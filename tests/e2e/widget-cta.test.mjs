// The thank-you step's call to action per segment (issue 15 item 5), end to end: the real
// prompt in Chromium, served by and posting to a real collector. A respondent of each segment
// comments, clicks its link (a new tab opens); the collector's stored record (GET /v1/responses,
// read key) has cta_clicked, the same id, the comment kept. Unsafe URLs show no link. The words
// follow the locale (French built in) and `texts`; the host gives each locale its own URLs.
// Screenshots of the thank-you step: each segment, light and dark, narrow and wide.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DIST, SHOTS, hostPage, launch, requireBundle } from './widget-helpers.mjs';
import { READ_KEY, readAll, removeDir, startCollector, tempDir, waitFor } from '../integration/collector-harness.mjs';

const SEGMENTS = [
  { score: 3, segment: 'detractor', path: '/examples/cta/help.html', words: 'Get help' },
  { score: 8, segment: 'passive', path: '/examples/cta/offer.html', words: 'See the offer' },
  { score: 10, segment: 'promoter', path: '/examples/cta/review.html', words: 'Leave a review' },
];

let browser, c, web;
before(async () => {
  requireBundle();
  web = tempDir('npskit-cta-web-');
  mkdirSync(join(web, 'cta'));
  const data = { displayEvents: 'false', retryBaseMs: '100' };
  writeFileSync(join(web, 'cta', 'index.html'), hostPage({
    data: { ...data, detractorUrl: SEGMENTS[0].path, passiveUrl: SEGMENTS[1].path, promoterUrl: SEGMENTS[2].path } }));
  writeFileSync(join(web, 'cta', 'unsafe.html'), hostPage({
    data: { ...data, detractorUrl: 'javascript:window.__clicked=1', passiveUrl: '//evil.example/offer', promoterUrl: '/\\evil.example' } }));
  // French: the built-in words, one overridden by `texts`, the help centre's French page.
  writeFileSync(join(web, 'cta', 'fr.html'), hostPage({
    data: { ...data, locale: 'fr', passiveUrl: SEGMENTS[1].path, promoterUrl: SEGMENTS[2].path },
    calls: "npskit('init', { detractorUrl: '/examples/cta/aide.html', texts: { passive_cta: 'Essai gratuit de 30 jours' } })" }));
  for (const s of SEGMENTS) writeFileSync(join(web, 'cta', s.path.split('/').pop()), `<!doctype html><title>${s.segment}</title><p>${s.segment}</p>`);
  writeFileSync(join(web, 'cta', 'aide.html'), '<!doctype html><title>aide</title><p>aide</p>');
  c = await startCollector({ args: ['--rate', '0', '--web', DIST, '--examples', web, '--quiet'] });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await c?.stop();
  c?.cleanup();
  if (web) removeDir(web);
});

// Opens the page, shows the prompt, chooses `score`, sends `comment`: the thank-you step.
async function thankYou(context, file, score, comment, done = 'Done') {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(`${c.base}/examples/cta/${file}`);
  await page.waitForFunction(() => window.npskit && window.npskit.loaded);
  await page.evaluate(() => npskit('show'));
  await page.locator('npskit-prompt [role=radio]').nth(score).click();
  await page.locator('npskit-prompt textarea').fill(comment);
  await page.locator('npskit-prompt .r button.p').click();
  await page.locator('npskit-prompt button.g', { hasText: done }).waitFor();
  return page;
}

const drained = (page) => page.waitForFunction(() => !localStorage.getItem('npskit:q'), null, { timeout: 20000, polling: 100 });

test('each segment clicks its link: the stored answer has cta_clicked, the same id, the comment kept', async () => {
  for (const s of SEGMENTS) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const ids = [];
    context.on('request', (req) => {
      if (req.method() === 'POST' && req.url().endsWith('/v1/responses')) ids.push(JSON.parse(req.postData()).id);
    });
    const page = await thankYou(context, 'index.html', s.score, `comment of a ${s.segment}`);
    const link = page.locator('npskit-prompt a');
    assert.equal(await link.count(), 1, `${s.segment}: one link`);
    assert.equal(await link.textContent(), s.words);
    assert.equal(await link.getAttribute('href'), s.path);
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    await drained(page);
    const [popup] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await popup.waitForLoadState();
    assert.equal(new URL(popup.url()).pathname, s.path, 'the browser followed the link');
    await drained(page);
    assert.equal(new Set(ids).size, 1, `${s.segment}: every POST is the same answer (${ids})`);
    const row = await waitFor(async () => {
      const rows = (await readAll(c.base, READ_KEY)).items.filter((r) => r.id === ids[0]);
      return rows.length === 1 && rows[0].cta_clicked ? rows[0] : null;
    }, 10000, `${s.segment}: the click stored`);
    assert.equal(row.cta_clicked, s.segment);
    assert.equal(row.score, s.score);
    assert.equal(row.comment, `comment of a ${s.segment}`);
    assert.deepEqual(page.errors, []);
    await context.close();
  }
  // One row per answer, no stray ones.
  const rows = (await readAll(c.base, READ_KEY)).items.filter((r) => r.type === 'response');
  assert.deepEqual(rows.map((r) => r.cta_clicked).sort(), ['detractor', 'passive', 'promoter']);
});

test('French: built-in words, a texts override, a URL per locale; the click is stored with locale fr', async () => {
  const FR = [
    { score: 2, segment: 'detractor', words: 'Obtenir de l\u2019aide', path: '/examples/cta/aide.html' },
    { score: 7, segment: 'passive', words: 'Essai gratuit de 30 jours', path: SEGMENTS[1].path },
    { score: 9, segment: 'promoter', words: 'Laisser un avis', path: SEGMENTS[2].path },
  ];
  for (const s of FR) {
    const context = await browser.newContext();
    const page = await thankYou(context, 'fr.html', s.score, `avis ${s.segment}`, 'Terminer');
    const link = page.locator('npskit-prompt a');
    assert.equal(await link.textContent(), s.words, s.segment);
    assert.equal(await link.getAttribute('href'), s.path, s.segment);
    await drained(page);
    const [popup] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await popup.waitForLoadState();
    await drained(page);
    const row = await waitFor(async () => {
      const rows = (await readAll(c.base, READ_KEY)).items.filter((r) => r.comment === `avis ${s.segment}`);
      return rows.length === 1 && rows[0].cta_clicked ? rows[0] : null;
    }, 10000, `${s.segment}: the French click stored`);
    assert.equal(row.cta_clicked, s.segment);
    assert.equal(row.locale, 'fr');
    assert.equal(row.score, s.score);
    assert.deepEqual(page.errors, []);
    await context.close();
  }
});

test('javascript:, //host and /\\host URLs show no link on the thank-you step', async () => {
  for (const s of SEGMENTS) {
    const context = await browser.newContext();
    const page = await thankYou(context, 'unsafe.html', s.score, 'x');
    assert.equal(await page.locator('npskit-prompt a').count(), 0, `${s.segment}: no link`);
    assert.equal(await page.evaluate(() => window.__clicked), undefined);
    assert.deepEqual(page.errors, []);
    await context.close();
  }
});

test('screenshots: the thank-you step with each segment\'s link, light and dark, narrow and wide', async () => {
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [390, 1440]) {
    for (const scheme of ['light', 'dark']) {
      for (const s of SEGMENTS) {
        const context = await browser.newContext({ viewport: { width, height: width < 480 ? 700 : 800 }, colorScheme: scheme });
        const page = await thankYou(context, 'index.html', s.score, 'A comment');
        await page.mouse.move(0, 0);
        await page.waitForTimeout(250);
        const box = await page.locator('npskit-prompt a').boundingBox();
        assert.ok(box && box.width > 40 && box.height >= 36, `${s.segment} ${scheme} ${width}: the link is visible (${JSON.stringify(box)})`);
        await page.screenshot({ path: join(SHOTS, `cta-${s.segment}-${scheme}-${width}.png`) });
        await context.close();
      }
    }
  }
});
