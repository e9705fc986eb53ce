// The examples, loaded as a user would: examples/saas-demo (the README's one tag + app.js) and
// examples/csp-strict (the strictest policy npskit needs; no violation may be reported).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promptCard, ROOT, scaleButton, setup, SHOTS, sleep, validateBodies } from './widget-helpers.mjs';

let s;
before(async () => {
  s = await setup();
});
after(async () => {
  await s?.close();
});

const responses = (path) => s.ep.posts.filter((p) => p.body && p.body.page === path);

test('saas-demo: Start trial does not prompt; End trial does; the answer is posted and valid; Log out resets', async () => {
  const page = await s.newPage();
  await page.goto(s.ep.origin + '/examples/saas-demo/');
  await page.waitForFunction(() => window.npskit && window.npskit.loaded);
  await page.click('#start-trial');
  await sleep(300);
  assert.equal(await page.locator('npskit-prompt').count(), 0, 'trial_started is not a trigger');
  await page.click('#end-trial');
  await promptCard(page).waitFor();
  await page.waitForTimeout(250);
  await page.screenshot({ path: join(SHOTS, 'saas-demo-prompt.png') });
  await scaleButton(page, 10).click();
  await page.locator('npskit-prompt textarea').fill('The exports');
  await page.locator('npskit-prompt .r .p').click();
  await page.screenshot({ path: join(SHOTS, 'saas-demo-thanks.png') });
  assert.equal(await page.locator('npskit-prompt a.p').getAttribute('href'), 'https://example.com/review');
  await s.ep.waitFor(() => responses('/examples/saas-demo/').some((p) => p.body.comment));
  const posts = responses('/examples/saas-demo/');
  const answer = posts.find((p) => p.body.comment).body;
  assert.equal(answer.survey, 'product-nps');
  assert.equal(answer.user, 'user-42');
  assert.equal(answer.trigger, 'trial_ended');
  assert.deepEqual(answer.attributes, { plan: 'free', signed_up: '2026-01-10' });
  const v = validateBodies(posts.map((p) => p.text));
  assert.equal(v.invalid, 0, v.output);
  assert.equal(v.valid, posts.length);
  await page.click('#logout');
  assert.equal(await page.evaluate(() => localStorage.getItem('npskit:u')), null);
  assert.deepEqual(page.errors.filter((e) => !e.includes('404')), []);
});

test('csp-strict: works under default-src \'self\'; script-src \'self\' \'wasm-unsafe-eval\'; no violation', async () => {
  const dir = join(ROOT, 'examples', 'csp-strict');
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const policy = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)[1];
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval';/);
  assert.doesNotMatch(policy, /unsafe-inline/);
  // Served with the same policy as a header too (belt and braces: both must hold).
  s.ep.setPage('/examples/csp-strict/', { body: html, headers: { 'Content-Security-Policy': policy } });
  const page = await s.newPage();
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(s.ep.origin + '/examples/csp-strict/');
  await page.waitForFunction(() => window.npskit && window.npskit.loaded);
  await page.click('#finish');
  await promptCard(page).waitFor();
  assert.equal(await scaleButton(page, 0).evaluate((e) => getComputedStyle(e).borderTopStyle), 'solid', 'styles applied');
  await scaleButton(page, 8).click();
  await s.ep.waitFor(() => responses('/examples/csp-strict/').some((p) => p.body.type === 'response'));
  await page.screenshot({ path: join(SHOTS, 'csp-strict.png') });
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  assert.deepEqual(page.errors.filter((e) => !e.includes('404')), []);
});
