// Survey definitions in the collector (docs/http-api.md, "Survey definitions"), on SQLite and
// PostgreSQL: ETag / 304, Cache-Control, versions with who and when, If-Match, the core's
// validation codes, the admin key, hostile input, CORS, a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, tempDir, removeDir, READ_KEY } from './collector-harness.mjs';
import { startPgCluster, pgMissing } from '../tools/pg-cluster.mjs';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { repoRoot } from './collector-harness.mjs';

const ADMIN = 'test-admin-key-0123456789';
const ORIGIN = 'https://app.example.com';
const CACHE = 'public, max-age=60, stale-while-revalidate=600, stale-if-error=86400';
const admin = { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' };
const read = { Authorization: `Bearer ${READ_KEY}` };
const definition = {
  app: 'web', survey: 'product-nps', triggers: ['trial_ended', { event: 'purchase_completed', where: { plan: 'pro' }, delay: 2000 }],
  paths: ['/app/*'], sample: 50, waitAfterAnswerDays: 90, position: 'bottom-right', theme: 'auto',
  promoterUrl: 'https://example.com/review', texts: { follow_promoter: 'What do you love most?' },
};

const backends = [
  { name: 'sqlite', async open() { const dir = tempDir(); return { db: path.join(dir, 'npskit.db'), close: () => removeDir(dir) }; } },
  { name: 'postgresql', skip: pgMissing(), async open() { const pg = await startPgCluster({ fsync: false }); return { db: pg.url, close: () => pg.destroy() }; } },
];

for (const backend of backends) {
  test(`survey definitions on ${backend.name}`, { skip: backend.skip || false, timeout: 120000 }, async () => {
    const store = await backend.open();
    const start = () => startCollector({ db: store.db, args: ['--admin-key', ADMIN, '--origins', ORIGIN] });
    let c = await start();
    const call = (p, opts = {}) => fetch(c.base + p, opts);
    try {
      // Unknown: 404 in the one error body.
      let r = await call('/v1/surveys/product-nps');
      assert.equal(r.status, 404);
      assert.equal((await r.json()).errors[0].code, 'not_found');

      // PUT (admin), then the public GET returns the bytes as stored with a strong ETag.
      const body = JSON.stringify(definition);
      r = await call('/v1/surveys/product-nps', { method: 'PUT', headers: { ...admin, 'X-Npskit-Actor': 'ana@example.com' }, body });
      assert.equal(r.status, 201);
      const put1 = await r.json();
      assert.equal(put1.version, 1);
      r = await call('/v1/surveys/product-nps');
      assert.equal(r.status, 200);
      assert.equal(await r.text(), body);
      const etag1 = r.headers.get('etag');
      assert.match(etag1, /^"[0-9a-f]{32}"$/);
      assert.equal(etag1, put1.etag);
      assert.equal(r.headers.get('cache-control'), CACHE);
      assert.match(r.headers.get('content-type'), /^application\/json/);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');

      // 304 on a matching If-None-Match: the tag, a list holding it, a weak form, "*".
      for (const inm of [etag1, `"nope", ${etag1}`, `W/${etag1}`, '*']) {
        r = await call('/v1/surveys/product-nps', { headers: { 'If-None-Match': inm } });
        assert.equal(r.status, 304, inm);
        assert.equal(await r.text(), '');
        assert.equal(r.headers.get('etag'), etag1);
      }
      r = await call('/v1/surveys/product-nps', { headers: { 'If-None-Match': '"other"' } });
      assert.equal(r.status, 200);

      // The same body again: no new version, same ETag. A change: a new ETag, version 2.
      r = await call('/v1/surveys/product-nps', { method: 'PUT', headers: admin, body });
      assert.equal(r.status, 200);
      assert.equal((await r.json()).version, 1);
      const changed = JSON.stringify({ ...definition, sample: 20, by: 'bo' });
      r = await call('/v1/surveys/product-nps', { method: 'PUT', headers: { ...admin, 'If-Match': etag1 }, body: changed });
      assert.equal(r.status, 200);
      const etag2 = r.headers.get('etag');
      assert.notEqual(etag2, etag1);
      r = await call('/v1/surveys/product-nps', { headers: { 'If-None-Match': etag1 } });
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(await r.text()).sample, 20);

      // Lost update: If-Match with the old tag is 412 and changes nothing.
      r = await call('/v1/surveys/product-nps', { method: 'PUT', headers: { ...admin, 'If-Match': etag1 }, body });
      assert.equal(r.status, 412);
      assert.equal((await r.json()).errors[0].code, 'precondition_failed');
      assert.equal((await call('/v1/surveys/product-nps')).headers.get('etag'), etag2);

      // Versions (read key): newest first, who and when; an old one restores by PUT of its body.
      r = await call('/v1/surveys/product-nps/versions');
      assert.equal(r.status, 401);
      r = await call('/v1/surveys/product-nps/versions', { headers: read });
      assert.equal(r.status, 200);
      let versions = (await r.json()).versions;
      assert.deepEqual(versions.map((v) => [v.version, v.by]), [[2, 'bo'], [1, 'ana@example.com']]);
      for (const v of versions) assert.ok(Math.abs(Date.parse(v.at) - Date.now()) < 60000, v.at);
      assert.deepEqual(versions[1].definition, definition);
      r = await call('/v1/surveys/product-nps', { method: 'PUT', headers: { ...admin, 'X-Npskit-Actor': 'restore' },
        body: JSON.stringify(versions[1].definition) });
      assert.equal((await r.json()).version, 3);
      assert.equal((await call('/v1/surveys/product-nps')).headers.get('etag'), etag1);

      // Validation: 400 with the core's codes, fields and messages (tests/unit-definition.cpp).
      r = await call('/v1/surveys/product-nps', { method: 'PUT', headers: admin,
        body: JSON.stringify({ sample: 101, promoterUrl: 'javascript:alert(1)', triggers: [{ event: 'a', delay: 3600001 }], texts: { nope: 'x' } }) });
      assert.equal(r.status, 400);
      assert.deepEqual((await r.json()).errors, [
        { code: 'out_of_range', field: 'sample', message: 'must be a number from 0 to 100' },
        { code: 'unsafe_link', field: 'promoterUrl', message: 'must be https://…, http://… or a path of this site (docs/js-api.md)' },
        { code: 'out_of_range', field: 'triggers[0].delay', message: 'must be a number of milliseconds from 0 to 3600000' },
        { code: 'unknown_text', field: 'texts.nope', message: 'is not a text id (docs/js-api.md, Strings)' },
      ]);
      r = await call('/v1/surveys/product-nps', { method: 'PUT', headers: admin, body: '[' + '['.repeat(40) + ']'.repeat(41) });
      assert.equal(r.status, 400);
      assert.equal((await r.json()).errors[0].code, 'not_json');
      r = await call('/v1/surveys/product-nps', { method: 'PUT', headers: { ...admin, 'X-Npskit-Actor': 'x'.repeat(65) }, body });
      assert.equal(r.status, 400);
      assert.equal((await r.json()).errors[0].field, 'X-Npskit-Actor');
      r = await call('/v1/surveys/product-nps', { method: 'PUT', headers: admin, body: 'x'.repeat(1 << 20) });
      assert.equal(r.status, 413);
      r = await call('/v1/surveys/bad%20id', { method: 'PUT', headers: admin, body });
      assert.equal(r.status, 404);

      // Keys: none or wrong is 401, the read key cannot write.
      for (const headers of [{ 'Content-Type': 'application/json' }, { ...admin, Authorization: 'Bearer wrong' }, { ...read, 'Content-Type': 'application/json' }]) {
        r = await call('/v1/surveys/other', { method: 'PUT', headers, body });
        assert.equal(r.status, 401);
        assert.equal((await r.json()).errors[0].code, 'admin_unauthorized');
      }
      r = await call('/v1/surveys/product-nps', { method: 'DELETE', headers: read });
      assert.equal(r.status, 401);

      // <script> in a text is stored as sent and served as JSON with nosniff.
      const hostile = JSON.stringify({ app: 'web', texts: { question: '<script>alert(1)</script>' } });
      r = await call('/v1/surveys/hostile', { method: 'PUT', headers: admin, body: hostile });
      assert.equal(r.status, 201);
      r = await call('/v1/surveys/hostile');
      assert.equal(await r.text(), hostile);
      assert.match(r.headers.get('content-type'), /^application\/json/);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');

      // CORS: the public GET from an allowed origin; preflight allows If-None-Match.
      r = await call('/v1/surveys/product-nps', { headers: { Origin: ORIGIN } });
      assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN);
      assert.match(r.headers.get('access-control-expose-headers'), /ETag/);
      r = await call('/v1/surveys/product-nps', { headers: { Origin: 'https://evil.example' } });
      assert.equal(r.headers.get('access-control-allow-origin'), null);
      r = await call('/v1/surveys/product-nps', { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'if-none-match' } });
      assert.equal(r.status, 204);
      assert.match(r.headers.get('access-control-allow-headers'), /If-None-Match/);

      // Lists: all (read key); ?app= (public) only the active ones of that app.
      await call('/v1/surveys/paused', { method: 'PUT', headers: admin, body: JSON.stringify({ app: 'web', active: false }) });
      await call('/v1/surveys/later', { method: 'PUT', headers: admin, body: JSON.stringify({ app: 'web', start: '2099-01-01T00:00:00Z' }) });
      await call('/v1/surveys/mobile', { method: 'PUT', headers: admin, body: JSON.stringify({ app: 'ios' }) });
      assert.equal((await call('/v1/surveys')).status, 401);
      r = await call('/v1/surveys', { headers: read });
      assert.deepEqual((await r.json()).surveys.map((s) => s.id), ['hostile', 'later', 'mobile', 'paused', 'product-nps']);
      r = await call('/v1/surveys?app=web');
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('cache-control'), CACHE);
      const listed = await r.json();
      assert.deepEqual(listed.surveys.map((s) => s.id), ['hostile', 'product-nps']);
      assert.deepEqual(Object.keys(listed.surveys[1]), ['id', 'definition']);
      r = await call('/v1/surveys?app=web', { headers: { 'If-None-Match': r.headers.get('etag') } });
      assert.equal(r.status, 304);

      // DELETE (admin): gone for GET, kept in the versions; If-Match guards it too.
      r = await call('/v1/surveys/hostile', { method: 'DELETE', headers: { ...admin, 'If-Match': '"stale"' } });
      assert.equal(r.status, 412);
      r = await call('/v1/surveys/hostile', { method: 'DELETE', headers: { ...admin, 'X-Npskit-Actor': 'cleanup' } });
      assert.equal(r.status, 200);
      assert.equal((await call('/v1/surveys/hostile')).status, 404);
      assert.equal((await call('/v1/surveys/hostile', { method: 'DELETE', headers: admin })).status, 404);
      versions = (await (await call('/v1/surveys/hostile/versions', { headers: read })).json()).versions;
      assert.deepEqual(versions.map((v) => [v.version, v.deleted, v.by]), [[2, true, 'cleanup'], [1, false, '']]);

      // The definition BENCHMARKS.md measures is a valid one.
      const fixture = readFileSync(path.join(repoRoot, 'tests/fixtures/survey-definition.json'), 'utf8');
      r = await call('/v1/surveys/fixture', { method: 'PUT', headers: admin, body: fixture });
      assert.equal(r.status, 201, await r.text());

      // A restart keeps everything.
      await c.stop();
      c = await start();
      r = await call('/v1/surveys/product-nps');
      assert.equal(r.headers.get('etag'), etag1);
      versions = (await (await call('/v1/surveys/product-nps/versions', { headers: read })).json()).versions;
      assert.equal(versions.length, 3);
      assert.equal((await call('/v1/surveys/hostile')).status, 404);
    } finally {
      await c.stop();
      c.cleanup();
      await store.close();
    }
  });
}

test('without --admin-key the survey writes are off (403)', async () => {
  const c = await startCollector();
  try {
    const r = await fetch(`${c.base}/v1/surveys/x`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(r.status, 403);
    assert.equal((await r.json()).errors[0].code, 'admin_disabled');
  } finally {
    await c.stop();
    c.cleanup();
  }
});
