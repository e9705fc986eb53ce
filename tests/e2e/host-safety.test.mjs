// Host page safety (issue 7): a page with hostile global JS (overridden Array.prototype,
// JSON.stringify/parse, fetch; a frozen Object.prototype) gets a prompt that renders and sends a
// valid record, or fails closed, and never an exception thrown into the page; a CSP without
// 'wasm-unsafe-eval' fails with a clear console message; after destroy the widget leaves no
// listener on window/document, no global but `npskit`, no cookie; hostile product name, texts,
// traits and links are shown as text and nothing executes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hostPage, scaleButton, setup, sleep, validateBodies } from './widget-helpers.mjs';

let s;
before(async () => { s = await setup(); });
after(async () => { await s?.close(); });

const accepted = (path) => s.ep.accepted.filter((p) => p.body && p.body.page === path && p.body.type === 'response');

// Hostile globals, installed before any other script of the page.
const hostile = {
  'Array.prototype methods throw': `
    for (const m of ['map','filter','forEach','indexOf','includes','join','slice','splice','concat','reduce','some','every','find'])
      Array.prototype[m] = function () { throw new Error('host: Array.prototype.' + m + ' is off limits'); };`,
  'JSON.stringify and JSON.parse hijacked': `
    JSON.stringify = function () { return '"hijacked"'; };
    JSON.parse = function () { throw new Error('host: JSON.parse is off limits'); };`,
  'fetch wrapped by the host (an APM agent)': `
    const f = window.fetch;
    window.__hostFetchCalls = 0;
    window.fetch = function (...a) { window.__hostFetchCalls++; return f.apply(this, a); };`,
  'fetch and sendBeacon broken': `
    window.fetch = function () { throw new Error('host: fetch is broken'); };
    navigator.sendBeacon = function () { throw new Error('host: sendBeacon is broken'); };`,
  'Object.prototype frozen': `Object.freeze(Object.prototype);`,
  'everything at once': null,  // filled below
};
hostile['everything at once'] = Object.entries(hostile).filter(([k, v]) => v && !k.includes('broken')).map(([, v]) => v).join('\n');

// Known widget defects, kept visible as todos until fixed (see RELIABILITY.md); none open now.
const todo = {};

for (const [name, script] of Object.entries(hostile)) {
  test(`hostile host page: ${name} → sends a valid record or fails closed, never throws into the page`, { todo: todo[name] }, async () => {
    const path = `/hostile-${name.replace(/[^a-z]+/gi, '-').toLowerCase()}`;
    s.ep.setPage(path, { body: hostPage({ data: { displayEvents: 'false', retryBaseMs: '200' } }) });
    const page = await s.newPage();
    await page.addInitScript(script);
    await page.goto(s.ep.origin + path);
    const loaded = await page.waitForFunction(() => window.npskit && window.npskit.loaded, null, { timeout: 5000 }).then(() => true, () => false);
    let outcome = 'no prompt';
    if (loaded) {
      await page.click('#b1');  // the host's own button: npskit('track', 'trial_ended', {plan: 'pro'})
      const shown = await scaleButton(page, 7).waitFor({ timeout: 3000 }).then(() => true, () => false);
      if (shown) {
        await scaleButton(page, 7).click();
        outcome = await s.ep.waitFor(() => accepted(path).length > 0, 4000).then(() => 'sent', () => 'shown, not sent');
      }
    }
    await sleep(200);
    const errors = page.errors.filter((e) => !e.includes('favicon') && !/status of 404/.test(e));
    console.log(`# ${name}: ${loaded ? 'loaded' : 'not loaded'}, ${outcome}`);
    assert.deepEqual(errors, [], 'no exception or console error reached the page');
    if (outcome === 'sent') {
      const bodies = accepted(path);
      assert.equal(bodies.length, 1, 'sent once');
      assert.equal(bodies[0].body.score, 7);
      const v = validateBodies(bodies.map((b) => b.text));
      assert.equal(v.invalid, 0, v.output);
      assert.ok(bodies[0].contentType.startsWith('application/json'));
    } else if (outcome === 'shown, not sent') {
      // Fails closed only when the host took away the means to send.
      assert.match(name, /broken/, `a prompt was shown but nothing was sent (${name})`);
      assert.match(await page.evaluate(() => localStorage.getItem('npskit:q') || ''), /"score":7/, 'the answer waits in the queue');
    }
    if (name.includes('wrapped')) assert.ok(await page.evaluate(() => window.__hostFetchCalls) >= 1, 'the host wrapper saw the request');
    // The host's own overrides are still in place: the widget did not restore or replace them.
    if (name.startsWith('JSON')) assert.equal(await page.evaluate(() => JSON.stringify({ a: 1 })), '"hijacked"');
    await page.context().close();
  });
}

test('CSP without wasm-unsafe-eval: a clear console message, no exception, the page keeps working', async () => {
  // No inline script or handler on this page: the only CSP problem is the widget's wasm.
  s.ep.setPage('/csp-missing', {
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>csp</title>
<script src="/npskit.js" data-endpoint="/v1/responses" data-survey="product-nps" async></script></head>
<body><main><h1>Strict host</h1></main></body></html>`,
    headers: { 'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'" },
  });
  const page = await s.newPage();
  const messages = [];
  const pageErrors = [];
  page.on('console', (m) => messages.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(s.ep.origin + '/csp-missing');
  await sleep(1500);
  const note = messages.find((m) => /npskit/i.test(m) && /csp/i.test(m));
  assert.ok(note, `a console message names npskit and CSP; got:\n${messages.join('\n')}`);
  assert.match(note, /^warning|^error/);
  // The host page is unharmed.
  await page.evaluate(() => { document.body.dataset.ok = 'yes'; });
  assert.equal(await page.evaluate(() => document.body.dataset.ok), 'yes');
  assert.equal(await page.locator('npskit-prompt').count(), 0);
  assert.deepEqual(pageErrors, []);
  await page.context().close();
});

test('after destroy: no listener left on window or document, no global but npskit, no cookie', async () => {
  s.ep.setPage('/listeners', { body: hostPage({ data: { displayEvents: 'false' } }) });
  const page = await s.newPage();
  await page.addInitScript(() => {
    const live = new Map();  // "target type" -> count
    const key = (t, type) => `${t === window ? 'window' : t === document ? 'document' : 'other'} ${type}`;
    const add = EventTarget.prototype.addEventListener, remove = EventTarget.prototype.removeEventListener;
    const seen = new WeakMap();
    // Only listeners added from the widget's own script count (Playwright adds some of its own).
    EventTarget.prototype.addEventListener = function (type, fn, opts) {
      if ((this === window || this === document) && fn && /npskit\.js/.test(new Error().stack || '')) {
        let types = seen.get(fn);
        if (!types) seen.set(fn, (types = new Set()));
        const k = key(this, type);
        if (!types.has(k)) { types.add(k); live.set(k, (live.get(k) || 0) + 1); }
      }
      return add.call(this, type, fn, opts);
    };
    EventTarget.prototype.removeEventListener = function (type, fn, opts) {
      const types = fn && seen.get(fn), k = key(this, type);
      if (types && types.has(k)) { types.delete(k); live.set(k, live.get(k) - 1); }
      return remove.call(this, type, fn, opts);
    };
    window.__listeners = () => [...live].filter(([, n]) => n > 0).map(([k, n]) => `${k} x${n}`);
    window.__globalsBefore = Object.keys(window);
  });
  await page.goto(s.ep.origin + '/listeners');
  await page.waitForFunction(() => window.npskit && window.npskit.loaded);
  const baseline = await page.evaluate(() => window.__listeners());
  assert.ok(baseline.length > 0, 'the widget\'s own listeners are seen');
  await page.click('#b1');
  await scaleButton(page, 10).click();
  await s.ep.waitFor(() => accepted('/listeners').length > 0);
  await page.keyboard.press('Escape');
  const during = await page.evaluate(() => window.__listeners());
  await page.evaluate(() => npskit('destroy'));
  await sleep(100);
  const left = await page.evaluate(() => window.__listeners());
  console.log(`# listeners: after load ${JSON.stringify(baseline)}, in use ${JSON.stringify(during)}, after destroy ${JSON.stringify(left)}`);
  assert.deepEqual(left, [], 'every listener the widget added to window/document was removed');
  const globals = await page.evaluate(() => Object.keys(window).filter((k) => !window.__globalsBefore.includes(k) && !k.startsWith('__')));
  assert.deepEqual(globals, ['npskit']);
  assert.equal(await page.evaluate(() => document.cookie), '');
  assert.equal((await page.context().cookies()).length, 0);
  await page.context().close();
});

test('hostile product name, texts, traits, email and promoter link: shown as text, nothing executes', async () => {
  const xss = (n) => `<img src=x onerror="window.__xss=${n}">`;
  s.ep.setPage('/hostile-text', {
    body: hostPage({
      data: { displayEvents: 'false', product: xss(1), promoterUrl: 'javascript:window.__xss=5' },
      // ("<\/script>" keeps this inline script whole; the string value still holds "</script>")
      calls: `npskit('init', { texts: { question: '<b onmouseover="window.__xss=2">{product}</b>', thanks: '</style><script>window.__xss=3<\\/script>',
        follow_promoter: '\\u202Eevil\\u202C <svg onload="window.__xss=4">' } });
        npskit('identify', 'user-<script>', { plan: '<svg onload="window.__xss=6">', email: '"><img src=x onerror=window.__xss=7>@x.y' });`,
    }),
  });
  const page = await s.newPage();
  await page.goto(s.ep.origin + '/hostile-text');
  await page.waitForFunction(() => window.npskit && window.npskit.loaded);
  await page.evaluate(() => npskit('show'));
  await scaleButton(page, 10).waitFor();
  const question = await page.locator('npskit-prompt [role=radiogroup]').getAttribute('aria-labelledby').then(
    (id) => (id ? page.evaluate((i) => document.querySelector('npskit-prompt').shadowRoot.getElementById(i)?.textContent, id) : null));
  const text = await page.evaluate(() => document.querySelector('npskit-prompt').shadowRoot.textContent);
  assert.ok(text.includes('<img src=x onerror="window.__xss=1">'), `the product name is literal text: ${question ?? text.slice(0, 200)}`);
  await scaleButton(page, 10).click();
  await page.locator('npskit-prompt textarea').fill('<script>window.__xss=8</script> "quoted" \u202Ertl');
  await page.locator('npskit-prompt .r .p').click();
  await s.ep.waitFor(() => s.ep.accepted.some((p) => p.body && p.body.page === '/hostile-text' && p.body.comment));
  await sleep(300);
  const dom = await page.evaluate(() => {
    const root = document.querySelector('npskit-prompt')?.shadowRoot;
    return {
      elements: root ? [...root.querySelectorAll('img, svg, script, b, iframe, object')].map((e) => e.tagName) : [],
      links: root ? [...root.querySelectorAll('a')].map((a) => a.getAttribute('href')) : [],
      xss: window.__xss ?? null,
    };
  });
  assert.deepEqual(dom.elements, [], 'no element made from text');
  assert.ok(dom.links.every((h) => !/^\s*javascript:/i.test(h)), `no javascript: link: ${dom.links}`);
  assert.equal(dom.xss, null, 'nothing executed');
  const sent = s.ep.accepted.filter((p) => p.body && p.body.page === '/hostile-text');
  const update = sent.find((p) => p.body.comment).body;
  assert.equal(update.comment, '<script>window.__xss=8</script> "quoted" \u202Ertl');
  assert.equal(update.attributes.plan, '<svg onload="window.__xss=6">');
  assert.equal(update.user, 'user-<script>');
  const v = validateBodies(sent.map((p) => p.text));
  assert.equal(v.invalid, 0, v.output);
  assert.deepEqual(page.errors.filter((e) => !/status of 404/.test(e)), []);
  await page.context().close();
});
