// The widget facing an endpoint that is away or pushes back (issue 13 item 5): an answer that
// meets 404s during a redeploy is kept (also across a reload) and delivered once the endpoint is
// back; Retry-After: 0 bounds the backoff from below instead of replacing it (no tight loop); a
// huge Retry-After is clamped to a day in JavaScript.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hostPage, scaleButton, setup, sleep } from './widget-helpers.mjs';

let s;
before(async () => {
  s = await setup();
});
after(async () => {
  await s?.close();
});

async function open(path, data) {
  s.ep.setPage(path, { body: hostPage({ data: { displayEvents: 'false', ...data } }) });
  const page = await s.newPage();
  page.warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning' && m.text().includes('npskit')) page.warnings.push(m.text()); });
  await page.goto(s.ep.origin + path);
  await page.waitForFunction(() => window.npskit && window.npskit.loaded);
  return page;
}
const postsFor = (path) => s.ep.posts.filter((p) => p.body && p.body.page === path);
const queued = (page) => page.evaluate(() => localStorage.getItem('npskit:q') || '');

test('404 during a redeploy, then 202: the answer is kept across a reload and delivered once', async () => {
  // retryBaseMs 20: a held answer waits 64 x base, doubling (0.64-1.28 s, then 1.28-2.56 s).
  const page = await open('/redeploy', { retryBaseMs: '20' });
  s.ep.setFailures(2, 404);
  await page.click('#b1');
  await scaleButton(page, 10).click();
  await s.ep.waitFor(() => postsFor('/redeploy').length >= 2);
  assert.match(await queued(page), /"score":10/, 'still queued after two 404s');
  await page.reload();
  await page.waitForFunction(() => window.npskit && window.npskit.loaded);
  await s.ep.waitFor(() => postsFor('/redeploy').some((p) => p.status === 202), 15000);
  await sleep(300);
  const posts = postsFor('/redeploy');
  assert.deepEqual(posts.map((p) => p.status), [404, 404, 202]);
  assert.equal(new Set(posts.map((p) => p.body.id)).size, 1, 'one id throughout');
  assert.ok(posts[1].at - posts[0].at >= 600, `held: a long backoff (${posts[1].at - posts[0].at} ms), not the 20 ms base`);
  assert.equal(await queued(page), '', 'queue empty once delivered');
  assert.deepEqual(page.warnings, [], 'nothing dropped, nothing to warn about');
  await page.close();
});

test('Retry-After: 0 on every 503 makes no tight loop', async () => {
  const page = await open('/retry-after-0', { retryBaseMs: '400' });
  s.ep.setFailures(1000, 503, 0);
  try {
    await page.click('#b1');
    await scaleButton(page, 4).click();
    await s.ep.waitFor(() => postsFor('/retry-after-0').length >= 1);
    await sleep(4000);
    // Backoff 0.2-0.4, 0.4-0.8, 0.8-1.6, 1.6-3.2 s: at most 5 sends in 4 s (a loop makes hundreds).
    const n = postsFor('/retry-after-0').length;
    assert.ok(n >= 2 && n <= 6, `${n} POSTs in 4 s`);
  } finally {
    // Closed before the next test: a page still retrying would take that test's one 503.
    await page.close();
    s.ep.setFailures(0);
  }
});

test('a huge or unreadable Retry-After: clamped to one day, or the backoff alone', async () => {
  for (const [path, header, lo, hi] of [['/retry-after-huge', '99999999999', 86400e3, 86400e3 + 1000],
                                         ['/retry-after-junk', 'soon', 500, 1000]]) {
    // Every save of the queue is recorded in the page: the retry after the junk header is due in
    // 0.5-1 s and then empties the queue, a window a poll of localStorage can miss under load.
    s.ep.setPage(path, { body: hostPage({ data: { displayEvents: 'false', retryBaseMs: '1000' } }) });
    const page = await s.newPage();
    await page.addInitScript(() => {
      const set = Storage.prototype.setItem;
      window.__saves = [];
      Storage.prototype.setItem = function (k, v) { if (k === 'npskit:q') window.__saves.push(String(v)); return set.call(this, k, v); };
    });
    await page.goto(s.ep.origin + path);
    await page.waitForFunction(() => window.npskit && window.npskit.loaded);
    s.ep.setFailures(1, 503, header);
    await page.click('#b1');
    await scaleButton(page, 8).click();
    await s.ep.waitFor(() => postsFor(path).length >= 1);
    // id \t attempts \t created \t next \t body: saved again once the 503 is in (next > created).
    const saved = await page.waitForFunction(() => window.__saves.map((v) => v.split('\t'))
      .find((f) => f.length > 4 && Number(f[3]) > Number(f[2]) + 100), null, { timeout: 15000 });
    const [, , created, next] = (await saved.jsonValue()).map(Number);
    assert.ok(next - created >= lo && next - created <= hi + 200, `Retry-After ${header}: due in ${next - created} ms`);
    s.ep.setFailures(0);
    await page.close();
  }
});
