// The widget end to end in headless Chromium: trigger -> prompt -> answer by mouse and by keyboard
// -> POST bodies that the native CLI validates; dismissal kept across reloads; retries with
// backoff delivered exactly once (also across a reload); queued calls replayed; storage blocked;
// 4xx dropped with one warning; destroy leaves the page as it was.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostPage, promptCard, ROOT, scaleButton, setup, sleep, validateBodies } from './widget-helpers.mjs';

let s;
before(async () => {
  s = await setup();
});
after(async () => {
  await s?.close();
});

// Each test gets its own page path, so records can be told apart by `page`.
async function open(path, options = {}, pageOptions = {}) {
  s.ep.setPage(path, { body: hostPage(options) });
  const page = await s.newPage(pageOptions);
  await page.goto(s.ep.origin + path);
  await page.waitForFunction(() => window.npskit && window.npskit.loaded);
  return page;
}
const postsFor = (path) => s.ep.posts.filter((p) => p.body && p.body.page === path);
function assertValid(bodies) {
  const v = validateBodies(bodies);
  assert.equal(v.invalid, 0, v.output);
  assert.equal(v.valid, bodies.length, v.output);
}

test('mouse: trigger, score sent at once, comment sent later as an update of the same id', async () => {
  const page = await open('/mouse');
  assert.equal(await page.locator('npskit-prompt').count(), 0, 'no prompt before a trigger');
  await page.click('#b1');  // npskit('track', 'trial_ended', {plan: 'pro'})
  await scaleButton(page, 9).click();
  await s.ep.waitFor(() => postsFor('/mouse').some((p) => p.body.type === 'response'));
  const first = postsFor('/mouse').find((p) => p.body.type === 'response').body;
  assert.equal(first.score, 9);
  assert.equal(first.trigger, 'trial_ended');
  assert.equal(first.comment, undefined);
  assert.match(first.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  await page.locator('npskit-prompt textarea').fill('Fast "exports"\nand the API');
  await page.locator('npskit-prompt .r .p').click();
  await s.ep.waitFor(() => postsFor('/mouse').some((p) => p.body.comment));
  const update = postsFor('/mouse').find((p) => p.body.comment).body;
  assert.equal(update.id, first.id, 'the comment updates the same record');
  assert.equal(update.comment, 'Fast "exports"\nand the API');
  assert.equal(update.score, 9);
  const shown = postsFor('/mouse').filter((p) => p.body.type === 'shown');
  assert.equal(shown.length, 1, 'one display event');
  assert.ok(postsFor('/mouse').every((p) => p.contentType.startsWith('application/json')));
  assertValid(postsFor('/mouse').map((p) => p.text));
  assert.equal(await page.evaluate(() => document.cookie), '', 'no cookie');
  assert.deepEqual(page.errors.filter((e) => !e.includes('favicon') && !e.includes('404')), []);
});

test('keyboard: focus is not stolen from a field; arrows rove; "1" then "0" chooses 10', async () => {
  const page = await open('/keys');
  await page.focus('#notes');
  await page.keyboard.type('typing');
  await page.evaluate(() => npskit('track', 'trial_ended'));
  await promptCard(page).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'notes', 'the field keeps focus');
  await page.keyboard.type(' more');
  assert.equal(await page.inputValue('#notes'), 'typing more', 'digits typed in the host field stay there');
  // Now the keyboard user moves into the prompt: Shift+Tab from the field... simpler: focus the scale.
  await scaleButton(page, 0).focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  const focused = () => page.evaluate(() => document.querySelector('npskit-prompt').shadowRoot.activeElement?.textContent);
  assert.equal(await focused(), '2');
  assert.equal(await scaleButton(page, 2).getAttribute('tabindex'), '0', 'roving tabindex follows focus');
  assert.equal(await scaleButton(page, 0).getAttribute('tabindex'), '-1');
  assert.equal(await scaleButton(page, 7).getAttribute('aria-label'), '7, out of 10');
  await page.keyboard.press('End');
  assert.equal(await focused(), '10');
  await page.keyboard.press('1');
  await page.keyboard.press('0');
  await s.ep.waitFor(() => postsFor('/keys').some((p) => p.body.type === 'response'));
  assert.equal(postsFor('/keys').find((p) => p.body.type === 'response').body.score, 10);
  // Focus followed into the follow-up step (the user was in the prompt).
  assert.equal(await page.evaluate(() => document.querySelector('npskit-prompt').shadowRoot.activeElement?.tagName), 'TEXTAREA');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('npskit-prompt').count(), 0, 'Esc closes');
  assert.ok(!postsFor('/keys').some((p) => p.body.type === 'dismissed'), 'closing after an answer is not a dismissal');
  assertValid(postsFor('/keys').map((p) => p.text));
});

test('center modal: it takes focus, and Tab or Shift+Tab past its controls brings focus back', async () => {
  const page = await open('/modal', { data: { position: 'center' } });
  await page.evaluate(() => npskit('track', 'trial_ended'));
  await promptCard(page).waitFor();
  const inPrompt = () => page.evaluate(() => document.activeElement?.tagName === 'NPSKIT-PROMPT' && !!document.querySelector('npskit-prompt').shadowRoot.activeElement);
  assert.ok(await inPrompt(), 'the modal has focus when it opens');
  for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
    await page.keyboard.press(key);
    await sleep(60);
    assert.ok(await inPrompt(), `focus is still in the modal after ${key}`);
  }
  // The bottom-right prompt is not modal: Tab may leave it.
  const corner = await open('/corner');
  await corner.evaluate(() => npskit('track', 'trial_ended'));
  await promptCard(corner).waitFor();
  await scaleButton(corner, 0).focus();
  for (let k = 0; k < 3; k++) await corner.keyboard.press('Tab');
  await sleep(60);
  assert.equal(await corner.evaluate(() => document.activeElement?.tagName === 'NPSKIT-PROMPT'), false, 'the corner prompt lets focus go');
});

test('keyboard: a single digit chooses it; Enter on a focused score chooses it', async () => {
  const page = await open('/digit');
  await page.evaluate(() => npskit('show'));
  await scaleButton(page, 0).focus();
  await page.keyboard.press('1');  // waits for a possible "0", then chooses 1
  await s.ep.waitFor(() => postsFor('/digit').some((p) => p.body.type === 'response'));
  assert.equal(postsFor('/digit').find((p) => p.body.type === 'response').body.score, 1);
  const page2 = await open('/enter');
  await page2.evaluate(() => npskit('show'));
  await scaleButton(page2, 4).focus();
  await page2.keyboard.press('Enter');
  await s.ep.waitFor(() => postsFor('/enter').some((p) => p.body.type === 'response'));
  assert.equal(postsFor('/enter').find((p) => p.body.type === 'response').body.score, 4);
});

test('dismissal is respected after a reload (30 days), and an answer after a reload (90 days)', async () => {
  const page = await open('/dismiss');
  await page.click('#b1');
  await promptCard(page).waitFor();
  await page.keyboard.press('Escape');  // focus is in the prompt (the button was clicked, not a field)
  await s.ep.waitFor(() => postsFor('/dismiss').some((p) => p.body.type === 'dismissed'));
  assert.equal(await page.locator('npskit-prompt').count(), 0);
  await page.reload();
  await page.waitForFunction(() => window.npskit && window.npskit.loaded);
  await page.click('#b1');
  await sleep(400);
  assert.equal(await page.locator('npskit-prompt').count(), 0, 'not shown again after a dismissal');
  // npskit('show') forces it, e.g. from a "Give feedback" link.
  await page.evaluate(() => npskit('show'));
  await promptCard(page).waitFor();
  // The dismissal record names the trigger and validates.
  const dismissed = postsFor('/dismiss').find((p) => p.body.type === 'dismissed').body;
  assert.equal(dismissed.trigger, 'trial_ended');
  assert.equal(dismissed.score, undefined);
  assertValid(postsFor('/dismiss').map((p) => p.text));
});

test('endpoint answers 503 three times then 200: delivered exactly once', async () => {
  const page = await open('/retry', { data: { displayEvents: 'false', retryBaseMs: '150' } });
  s.ep.setFailures(3, 503);
  await page.click('#b1');
  await scaleButton(page, 3).click();
  await s.ep.waitFor(() => postsFor('/retry').some((p) => p.status === 202));
  await sleep(600);  // nothing more may arrive
  const posts = postsFor('/retry');
  assert.deepEqual(posts.map((p) => p.status), [503, 503, 503, 202]);
  assert.equal(new Set(posts.map((p) => p.body.id)).size, 1, 'one id throughout');
  assert.ok(posts[3].at - posts[2].at >= 150 && posts[2].at - posts[1].at >= 75, 'backed off between tries');
  assertValid([posts[3].text]);
});

test('503 three times then 200 across a reload: the queue survives in localStorage', async () => {
  const page = await open('/reload', { data: { displayEvents: 'false', retryBaseMs: '1500' } });
  s.ep.setFailures(3, 503);
  await page.click('#b1');
  await scaleButton(page, 6).click();
  await s.ep.waitFor(() => postsFor('/reload').length >= 1);
  assert.match(await page.evaluate(() => localStorage.getItem('npskit:q')), /"score":6/);
  await page.reload();  // while the item waits for its retry
  await s.ep.waitFor(() => postsFor('/reload').some((p) => p.status === 202), 20000);
  await sleep(500);
  const posts = postsFor('/reload');
  assert.equal(posts.filter((p) => p.status === 202).length, 1, 'delivered exactly once');
  assert.equal(new Set(posts.map((p) => p.body.id)).size, 1);
  assert.deepEqual(posts.map((p) => p.status), [503, 503, 503, 202]);
  assert.equal(await page.evaluate(() => localStorage.getItem('npskit:q')), '', 'queue empty once delivered');
});

test('calls queued by the snippet (web/snippet.html, verbatim) before load are replayed', async () => {
  const snippet = readFileSync(join(ROOT, 'web', 'snippet.html'), 'utf8');
  s.ep.setPage('/queued', {
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>queued</title>${snippet}
<script>npskit('identify','user-42',{plan:'pro',seats:12,email:'ada@example.com'});npskit('track','purchase_completed')</script>
</head><body><main><h1>Queued</h1></main></body></html>`,
  });
  const page = await s.newPage();
  await page.goto(s.ep.origin + '/queued');
  await scaleButton(page, 2).click();
  await s.ep.waitFor(() => postsFor('/queued').some((p) => p.body.type === 'response'));
  const r = postsFor('/queued').find((p) => p.body.type === 'response').body;
  assert.equal(r.user, 'user-42');
  assert.equal(r.trigger, 'purchase_completed');
  assert.deepEqual(r.attributes, { plan: 'pro', seats: '12' });
  assert.equal(r.email, undefined, 'no email without an opt-in');
  // Detractor: skip the comment, opt in to contact -> update with contact_ok and the email.
  await page.locator('npskit-prompt .r .g').click();  // Skip
  await page.locator('npskit-prompt .r .p').click();  // Yes, contact me
  await s.ep.waitFor(() => postsFor('/queued').some((p) => p.body.contact_ok));
  const c = postsFor('/queued').find((p) => p.body.contact_ok).body;
  assert.equal(c.id, r.id);
  assert.equal(c.email, 'ada@example.com');
  assertValid(postsFor('/queued').map((p) => p.text));
});

test('storage blocked: the prompt still works for the session', async () => {
  const page = await s.newPage();
  await page.addInitScript(() => {
    Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('blocked', 'SecurityError'); } });
  });
  s.ep.setPage('/nostorage', { body: hostPage() });
  await page.goto(s.ep.origin + '/nostorage');
  await page.waitForFunction(() => window.npskit && window.npskit.loaded);
  await page.click('#b1');
  await scaleButton(page, 8).click();
  await s.ep.waitFor(() => postsFor('/nostorage').some((p) => p.body.type === 'response'));
  await page.keyboard.press('Escape');
  await page.click('#b1');  // answered in this session: not shown again
  await sleep(300);
  assert.equal(await page.locator('npskit-prompt').count(), 0);
  assert.deepEqual(page.errors.filter((e) => !e.includes('404')), []);
});

test('a 400 drops the record with one console warning', async () => {
  const page = await open('/reject', { data: { retryBaseMs: '100' } });
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning' && m.text().includes('npskit')) warnings.push(m.text()); });
  s.ep.setFailures(2, 400);
  await page.click('#b1');
  await scaleButton(page, 5).click();
  await s.ep.waitFor(() => postsFor('/reject').length >= 2);
  await sleep(500);
  assert.deepEqual(postsFor('/reject').map((p) => p.status), [400, 400], 'no retry of a refused record');
  assert.equal(warnings.length, 1);
});

test('reset on logout and destroy: the page is left as it was', async () => {
  const page = await open('/destroy');
  await page.evaluate(() => npskit('identify', 'user-7'));
  const anon = await page.evaluate(() => localStorage.getItem('npskit:a'));
  await page.evaluate(() => npskit('reset'));
  assert.equal(await page.evaluate(() => localStorage.getItem('npskit:u')), null);
  assert.notEqual(await page.evaluate(() => localStorage.getItem('npskit:a')), anon, 'a new anonymous id');
  await page.evaluate(() => npskit('show'));
  await promptCard(page).waitFor();
  await page.evaluate(() => npskit('destroy'));
  assert.equal(await page.locator('npskit-prompt').count(), 0);
  await page.evaluate(() => npskit('track', 'trial_ended'));
  await sleep(200);
  assert.equal(await page.locator('npskit-prompt').count(), 0, 'nothing after destroy');
  const globals = await page.evaluate(() => Object.keys(window).filter((k) => /npskit|Module|wasm/i.test(k)));
  assert.deepEqual(globals, ['npskit'], 'one global');
});

test('ES module: load() + npskit() from npskit.mjs, calls before load replayed', async () => {
  s.ep.setPage('/esm', {
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>esm</title></head><body><main><h1>ESM</h1></main>
<script type="module">
import npskit, { load } from '/npskit.mjs';
npskit('identify', 'esm-user');
load({ endpoint: '/v1/responses', survey: 'product-nps', product: 'Acme', triggers: 'checkout' });
npskit('track', 'checkout');
</script></body></html>`,
  });
  const page = await s.newPage();
  await page.goto(s.ep.origin + '/esm');
  await scaleButton(page, 6).click();
  await s.ep.waitFor(() => postsFor('/esm').some((p) => p.body.type === 'response'));
  const r = postsFor('/esm').find((p) => p.body.type === 'response').body;
  assert.equal(r.user, 'esm-user');
  assert.equal(r.trigger, 'checkout');
  assertValid([JSON.stringify(r)]);
});
