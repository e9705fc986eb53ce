// GET /v1/comments on both backends: newest first, pages without gap or duplicate, filters
// (segment, since/until, survey, where), q= text search (SQLite: substring; PostgreSQL: full-text
// search with english/french stems chosen by the row's locale), read key and bad parameters.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startCollector, answer, post, tempDir, removeDir, READ_KEY } from './collector-harness.mjs';
import { startPgCluster, pgMissing } from '../tools/pg-cluster.mjs';

const missing = pgMissing();
if (missing) console.log(`# comments: PostgreSQL cases skipped: ${missing}`);

const backends = [
  { name: 'sqlite', async open() { const dir = tempDir(); return { db: path.join(dir, 'npskit.db'), close: async () => removeDir(dir) }; } },
  { name: 'postgresql', skip: missing, async open() { const pg = await startPgCluster({ fsync: false }); return { db: pg.url, close: () => pg.destroy() }; } },
];

const base0 = Date.parse('2026-03-01T00:00:00Z');
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
// 130 commented answers one minute apart (two share each timestamp so the id breaks ties),
// 20 without a comment, display events: none of the latter may be listed.
function seed() {
  const rows = [];
  for (let i = 0; i < 130; i++) {
    const fr = i % 5 === 0;
    rows.push(answer({
      id: `comment-${String(i).padStart(3, '0')}`, score: i % 11, ts: iso(base0 + Math.floor(i / 2) * 60000),
      survey: i % 3 === 0 ? 'onboarding' : 'product-nps',
      comment: fr ? `Les factures arrivent en retard ${i}` : (i % 7 === 0 ? `Billing was confusing ${i}` : `Great tool number ${i}`),
      locale: fr ? 'fr-FR' : 'en-US', attributes: { plan: i % 2 ? 'pro' : 'free' },
      ...(i % 4 === 0 ? { contact_ok: true, email: `u${i}@example.com` } : {}),
    }));
  }
  for (let i = 0; i < 20; i++) rows.push(answer({ id: `nocomment-${i}`, score: 5, ts: iso(base0 + i * 60000) }));
  rows.push({ v: 1, id: 'display-1', type: 'shown', survey: 'product-nps', ts: iso(base0) });
  return rows;
}

for (const backend of backends) {
  describe(`GET /v1/comments: ${backend.name}`, { skip: backend.skip || false }, () => {
    let store, c, rows;
    const get = async (query, key = READ_KEY) => {
      const res = await fetch(`${c.base}/v1/comments?${query}`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
      return { status: res.status, body: await res.json() };
    };
    const all = async (query, limit = 7) => {
      const seen = [];
      let next = '';
      for (let n = 0; n < 1000; n++) {
        const { status, body } = await get(`${query}&limit=${limit}${next ? `&before=${encodeURIComponent(next)}` : ''}`);
        assert.equal(status, 200, JSON.stringify(body));
        assert.ok(body.items.length <= limit);
        seen.push(...body.items);
        if (!body.next) return seen;
        next = body.next;
      }
      throw new Error('no end');
    };
    // The expected list: commented answers, newest first by (ts, id).
    const expected = (keep) => rows.filter((r) => r.comment && keep(r))
      .sort((a, b) => (b.ts.localeCompare(a.ts)) || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0)).map((r) => r.id);

    before(async () => {
      store = await backend.open();
      c = await startCollector({ db: store.db, args: ['--rate', '0', '--quiet'] });
      rows = seed();
      for (const r of rows) { const p = await post(c.base, r); assert.equal(p.status, 202, p.text); }
    });
    after(async () => { await c?.stop(); await store?.close(); });

    test('pages: newest first, every commented answer once, no gap, no duplicate', async () => {
      const items = await all('');
      assert.deepEqual(items.map((i) => i.id), expected(() => true));
      const first = items.find((i) => i.id === 'comment-004');
      assert.equal(first.segment, 'detractor');
      assert.equal(first.contact_ok, true);
      assert.equal(first.email, 'u4@example.com');
      assert.equal(first.created, iso(base0 + 2 * 60000));
      assert.deepEqual(first.attributes, { plan: 'free' });
      assert.equal(items.find((i) => i.id === 'comment-005').locale, 'fr-FR');
      const { body } = await get('');
      assert.equal(body.items.length, 50, 'limit defaults to 50');
    });

    test('filters: segment, since/until, survey, where', async () => {
      assert.deepEqual((await all('segment=promoter')).map((i) => i.id), expected((r) => r.score >= 9));
      assert.deepEqual((await all('segment=detractor,passive')).map((i) => i.id), expected((r) => r.score <= 8));
      const since = iso(base0 + 10 * 60000), until = iso(base0 + 20 * 60000);
      assert.deepEqual((await all(`since=${since}&until=${until}`)).map((i) => i.id), expected((r) => r.ts >= since && r.ts < until));
      assert.deepEqual((await all('survey=onboarding')).map((i) => i.id), expected((r) => r.survey === 'onboarding'));
      assert.deepEqual((await all(`where=${encodeURIComponent('plan=pro')}`, 5)).map((i) => i.id), expected((r) => r.attributes.plan === 'pro'));
      assert.deepEqual((await all(`where=${encodeURIComponent('plan!=pro')}&segment=promoter`, 3)).map((i) => i.id),
        expected((r) => r.attributes.plan !== 'pro' && r.score >= 9));
    });

    test('q= finds words in the comments', async () => {
      assert.deepEqual((await all('q=billing')).map((i) => i.id), expected((r) => /Billing/.test(r.comment)));
      if (backend.name === 'postgresql') {
        // Stems: "bill" matches "Billing" in english, "facture" matches "factures" in french.
        assert.deepEqual((await all('q=bill')).map((i) => i.id), expected((r) => /Billing/.test(r.comment)));
        assert.deepEqual((await all('q=facture')).map((i) => i.id), expected((r) => /factures/.test(r.comment)));
        assert.deepEqual((await all('q=retards')).map((i) => i.id), expected((r) => /retard/.test(r.comment)));
      } else {
        assert.deepEqual((await all('q=FACTURE')).map((i) => i.id), expected((r) => /factures/.test(r.comment)));
      }
      assert.deepEqual((await get('q=zzzznothing')).body, { items: [], next: null });
    });

    test('read key and bad parameters', async () => {
      assert.equal((await get('', '')).status, 401);
      for (const [q, field] of [['limit=0', 'limit'], ['limit=201', 'limit'], ['before=xyz', 'before'], ['since=yesterday', 'since'], ['segment=happy', 'segment']]) {
        const { status, body } = await get(q);
        assert.equal(status, 400, q);
        assert.equal(body.errors[0].code, 'bad_parameter');
        assert.equal(body.errors[0].field, field);
      }
    });
  });
}
