// Security of the collector, against a real npskit-collector process: the read key on every
// read route, the origin allowlist on writes (refused writes are not stored), the per-IP rate
// limit (a flood from one address does not starve another), SQL built only with bound
// parameters (injection strings stored verbatim, table intact), and request smuggling basics
// over raw TCP (conflicting framing is refused, never a second request stored).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startCollector, answer, newId, post, readAll, READ_KEY, repoRoot } from './collector-harness.mjs';

const auth = { Authorization: `Bearer ${READ_KEY}` };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function storedIds(c) {
  return new Set((await readAll(c.base, READ_KEY)).items.map((r) => r.id));
}

// One request from a chosen local address (127.0.0.x are all loopback on Linux).
function postFrom(localAddress, base, body, headers = {}) {
  const url = new URL(`${base}/v1/responses`);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data), ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

// Raw TCP: writes the given parts (with a pause between them, so each part is read by the
// server separately), then collects everything until the server closes or goes quiet.
function raw(port, parts, { pauseMs = 150, quietMs = 1500 } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    let closed = false;
    let quiet;
    const finish = () => { clearTimeout(quiet); socket.destroy(); resolve({ data, closed, statuses: statuses(data) }); };
    const arm = () => { clearTimeout(quiet); quiet = setTimeout(finish, quietMs); };
    socket.setEncoding('latin1');
    socket.on('data', (d) => { data += d; arm(); });
    socket.on('error', () => {});
    socket.on('close', () => { closed = true; finish(); });
    socket.on('connect', async () => {
      for (const [i, p] of parts.entries()) {
        if (i > 0) await sleep(pauseMs);
        if (!socket.destroyed) socket.write(p, 'latin1');
      }
      arm();
    });
  });
}

function statuses(data) {
  return [...data.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
}

// A complete, valid POST whose id we then look for: if it is ever stored, it was smuggled.
function smuggledRequest(id, host) {
  const body = JSON.stringify(answer({ id, comment: 'smuggled' }));
  return `POST /v1/responses HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

describe('security: read key', () => {
  let c;
  // 112 wrong keys from one address: above the default 401 slow-down (collector-ownership.test.mjs).
  before(async () => { c = await startCollector({ args: ['--rate', '0', '--max-read-failures', '1000'] }); });
  after(async () => { await c.stop(); c.cleanup(); });

  test('every read route answers 401 without the key or with a wrong one, and leaks nothing', async () => {
    const secret = answer({ comment: 'private comment 7f3a', attributes: { plan: 'secret-plan' } });
    assert.equal((await post(c.base, secret)).status, 202);
    const routes = ['/v1/responses', '/v1/responses?format=ndjson', '/v1/responses?since=0&limit=1',
      '/v1/aggregate', '/v1/aggregate?by=plan', '/v1/aggregate?by=day', '/v1/stream', '/v1/stream?since=0'];
    const wrongHeaders = [
      {},
      { Authorization: 'Bearer not-the-key-000' },
      { Authorization: `Bearer ${READ_KEY.slice(0, -1)}` },          // a prefix of the key
      { Authorization: `Bearer ${READ_KEY}x` },                      // the key plus one character
      { Authorization: `Bearer ${READ_KEY.toUpperCase()}` },         // case matters
      { Authorization: `Bearer ${READ_KEY.replace(/.$/, (ch) => (ch === '0' ? '1' : '0'))}` },  // same length
      { Authorization: 'Bearer ' },
      { Authorization: 'Bearer' },
      { Authorization: READ_KEY },                                   // no scheme
      { Authorization: `Basic ${Buffer.from(`user:${READ_KEY}`).toString('base64')}` },
      { Authorization: `Token ${READ_KEY}` },
      { Cookie: `access_token=${READ_KEY}` },
      { 'X-Read-Key': READ_KEY },
      { Origin: c.base },                                            // same origin is not a credential
    ];
    let checked = 0;
    for (const route of routes) {
      for (const headers of wrongHeaders) {
        const res = await fetch(c.base + route, { headers });
        const text = await res.text();
        assert.equal(res.status, 401, `${route} ${JSON.stringify(headers)}`);
        assert.equal(res.headers.get('www-authenticate'), 'Bearer');
        assert.equal(JSON.parse(text).errors[0].code, 'unauthorized');
        assert.ok(!text.includes('7f3a') && !text.includes('secret-plan') && !text.includes(secret.id), 'no data in a 401');
        checked++;
      }
      for (const token of ['', 'wrong-token-123', READ_KEY.slice(0, 8), encodeURIComponent(`${READ_KEY} `)]) {
        const sep = route.includes('?') ? '&' : '?';
        const res = await fetch(`${c.base}${route}${sep}access_token=${token}`);
        await res.text();
        assert.equal(res.status, 401, `${route} access_token=${token}`);
        checked++;
      }
    }
    assert.equal(checked, routes.length * (wrongHeaders.length + 4));
    // The right key works on the same routes (so the 401s above are about the key only).
    for (const route of ['/v1/responses', '/v1/aggregate?by=plan']) {
      const res = await fetch(c.base + route, { headers: auth });
      assert.equal(res.status, 200, route);
      assert.match(await res.text(), /secret-plan/);
    }
  });

  test('a write can never read: its answer carries the id only, whatever it asks for', async () => {
    const a = answer();
    for (const extra of [{}, { Accept: 'application/x-ndjson' }, { Authorization: `Bearer ${READ_KEY}` }]) {
      const r = await post(c.base, { ...a }, { headers: extra });
      assert.equal(r.status, 202);
      assert.deepEqual(r.json, { id: a.id });
    }
    // Write verbs on read routes are not reads either.
    for (const p of ['/v1/aggregate', '/v1/stream']) {
      const res = await fetch(c.base + p, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      const text = await res.text();
      assert.ok(res.status === 404 || res.status === 405, `${p}: ${res.status}`);
      assert.ok(!text.includes(a.id));
    }
  });
});

describe('security: origin allowlist on writes', () => {
  let c;
  before(async () => { c = await startCollector({ args: ['--origins', 'https://app.example.com', '--rate', '0'] }); });
  after(async () => { await c.stop(); c.cleanup(); });

  test('writes from origins outside the list are refused (JSON and sendBeacon text/plain) and not stored', async () => {
    const hostile = [
      'https://evil.example.net',
      'https://app.example.com.evil.net',     // allowed name as a prefix
      'https://evilapp.example.com',          // as a suffix
      'http://app.example.com',               // other scheme
      'https://app.example.com:8443',         // other port
      'null',                                 // sandboxed iframe, file://
      'https://app.example.com/',             // not an origin (trailing slash)
      'https://APP.example.com.evil.net',
      `http://127.0.0.1:${c.port + 1}`,       // other port of the collector's host
    ];
    const refusedIds = [];
    for (const origin of hostile) {
      for (const contentType of ['application/json', 'text/plain;charset=UTF-8']) {
        const a = answer({ comment: `from ${origin}` });
        const r = await post(c.base, a, { contentType, headers: { Origin: origin } });
        assert.equal(r.status, 403, `${origin} ${contentType}: ${r.status}`);
        assert.equal(r.json.errors[0].code, 'origin_not_allowed');
        assert.equal(r.headers.get('access-control-allow-origin'), null);
        refusedIds.push(a.id);
      }
      const pre = await fetch(`${c.base}/v1/responses`, {
        method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      });
      await pre.text();
      assert.equal(pre.status, 403, `preflight ${origin}`);
    }
    // Allowed and origin-less writes go through, and only they are stored.
    const ok = answer();
    assert.equal((await post(c.base, ok, { headers: { Origin: 'https://app.example.com' } })).status, 202);
    const ids = await storedIds(c);
    assert.ok(ids.has(ok.id));
    for (const id of refusedIds) assert.ok(!ids.has(id), `refused ${id} was stored`);
    assert.equal(ids.size, 1);
  });
});

describe('security: rate limit per IP', () => {
  test('a flood from 127.0.0.2 is limited while 127.0.0.1 is still served; X-Forwarded-For does not help', async () => {
    const c = await startCollector({ args: ['--rate', '2', '--burst', '10'] });
    try {
      // The flood: 120 writes at once from one address, each claiming another client address.
      const floodStart = Date.now();
      const flood = await Promise.all(Array.from({ length: 120 }, (_, i) => {
        const a = answer({ attributes: { from: 'flood' } });
        return postFrom('127.0.0.2', c.base, a, { 'X-Forwarded-For': `10.0.${i >> 8}.${i & 255}`, 'X-Real-IP': `10.1.0.${i & 255}` })
          .then((r) => ({ ...r, id: a.id }));
      }));
      const accepted = flood.filter((r) => r.status === 202);
      const limited = flood.filter((r) => r.status === 429);
      assert.equal(accepted.length + limited.length, 120, flood.map((r) => r.status).join(','));
      // burst 10 plus the tokens refilled (2/s) while the flood was being answered
      const refill = Math.ceil(((Date.now() - floodStart) / 1000) * 2) + 1;
      assert.ok(accepted.length >= 10 && accepted.length <= 10 + refill, `accepted ${accepted.length}, bound ${10 + refill}`);
      assert.ok(limited.length >= 60, `limited ${limited.length}`);
      for (const r of limited) {
        assert.ok(Number(r.headers['retry-after']) >= 1);
        assert.equal(JSON.parse(r.text).errors[0].code, 'rate_limited');
      }
      // Still flooding: another address is served with its own full burst.
      const other = [];
      for (let i = 0; i < 8; i++) {
        const a = answer({ attributes: { from: 'other' } });
        const [mine] = await Promise.all([postFrom('127.0.0.1', c.base, a),
          postFrom('127.0.0.2', c.base, answer({ attributes: { from: 'flood' } }))]);
        other.push({ ...mine, id: a.id });
      }
      assert.deepEqual(other.map((r) => r.status), Array(8).fill(202));
      // Exactly the acknowledged writes are stored: no 429 was stored anyway.
      const rows = (await readAll(c.base, READ_KEY)).items;
      const ids = new Set(rows.map((r) => r.id));
      for (const r of accepted) assert.ok(ids.has(r.id));
      for (const r of limited) assert.ok(!ids.has(r.id), 'a 429 was stored');
      for (const r of other) assert.ok(ids.has(r.id));
      const log = c.logs.filter((l) => l.msg === 'request' && l.status === 429);
      assert.ok(log.length >= limited.length && log.every((l) => l.ip === '127.0.0.2'));
    } finally { await c.stop(); c.cleanup(); }
  });
});

describe('security: SQL only with bound parameters', () => {
  let c;
  before(async () => { c = await startCollector({ args: ['--rate', '0'] }); });
  after(async () => { await c.stop(); c.cleanup(); });

  const payloads = [
    "'; DROP TABLE responses; --",
    '" OR 1=1 --',
    "' OR '1'='1",
    "1); DELETE FROM responses; --",
    "x' UNION SELECT body, cursor FROM responses --",
    "'); ATTACH DATABASE '/tmp/pwned.db' AS p; --",
    '\\\'; SELECT sqlite_version(); --',
    '%_*?[]^$.|(){}',
    'Robert\'); DROP TABLE Students;--',
    '\u2019; DROP TABLE responses; --',           // typographic quote
    '\u00a0OR\u00a01=1',
    '\'\'\'\'\'\'\'\'',
    '0x27; PRAGMA writable_schema=1; --',
  ];

  test('injection strings in every text field and attribute value are stored and read back verbatim', async () => {
    const sent = [];
    for (const [i, s] of payloads.entries()) {
      const a = answer({
        score: i % 11, comment: `${s} comment`, user: s.slice(0, 200), trigger: s, page: `/p?q=${s}`, locale: s.slice(0, 30),
        email: `${s}@example.com`, attributes: { plan: s, note: `${s}${s}`, [`k${i}`]: s },
      });
      const r = await post(c.base, a);
      assert.equal(r.status, 202, `${s}: ${r.text}`);
      sent.push(a);
    }
    const rows = (await readAll(c.base, READ_KEY)).items;
    assert.equal(rows.length, payloads.length);
    for (const a of sent) {
      const row = rows.find((r) => r.id === a.id);
      assert.ok(row, a.id);
      for (const k of ['comment', 'user', 'trigger', 'page', 'locale', 'email', 'score', 'survey', 'ts'])
        assert.equal(row[k], a[k], k);
      assert.deepEqual(row.attributes, a.attributes);
    }
    // The same strings in read parameters: a filter value is data; other parameters are refused.
    const where = await fetch(`${c.base}/v1/aggregate?by=plan&where=${encodeURIComponent(`plan:${payloads[0]}`)}`, { headers: auth });
    assert.equal(where.status, 200);
    const w = await where.json();
    assert.equal(w.total.histogram.reduce((s, n) => s + n, 0), 1);
    assert.deepEqual(w.groups.map((g) => g.key), [payloads[0]]);
    const byPlan = await (await fetch(`${c.base}/v1/aggregate?by=plan`, { headers: auth })).json();
    assert.deepEqual(byPlan.groups.map((g) => g.key).sort(), [...payloads].sort());
    for (const q of [`since=${encodeURIComponent('0 OR 1=1')}`, `limit=${encodeURIComponent('1; DROP TABLE responses')}`,
      `since=${encodeURIComponent("0'")}`]) {
      const res = await fetch(`${c.base}/v1/responses?${q}`, { headers: auth });
      assert.equal(res.status, 400, q);
      assert.equal((await res.json()).errors[0].code, 'bad_parameter');
    }
    for (const q of [`by=${encodeURIComponent(payloads[0])}`, `where=${encodeURIComponent(`${payloads[1]}:x`)}`]) {
      const res = await fetch(`${c.base}/v1/aggregate?${q}`, { headers: auth });
      assert.equal(res.status, 400, q);
      await res.text();
    }
  });

  test('injection strings in id, survey, type and attribute keys are refused (their character sets), nothing stored', async () => {
    const before = (await readAll(c.base, READ_KEY)).items.length;
    for (const s of payloads) {
      for (const bad of [{ id: `abcdefgh${s}` }, { survey: s }, { type: s }, { attributes: { [s]: 'x' } }, { ts: `2026-01-01T00:00:00Z${s}` }]) {
        const r = await post(c.base, answer(bad));
        assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${r.status}`);
        assert.ok(r.json.errors.length >= 1);
      }
    }
    // NUL and other control characters are refused in text fields (schema), not truncated.
    for (const field of ['comment', 'user', 'trigger', 'page', 'email']) {
      const r = await post(c.base, answer({ [field]: "a\u0000'; DROP TABLE responses; --" }));
      assert.equal(r.status, 400, field);
      assert.equal(r.json.errors[0].code, 'control_character');
      assert.equal(r.json.errors[0].field, field);
    }
    const r = await post(c.base, answer({ attributes: { plan: 'a\u0000b' } }));
    assert.equal(r.status, 400);
    const after = await readAll(c.base, READ_KEY);
    assert.equal(after.items.length, before);
    // The table is intact and still takes writes.
    const health = await (await fetch(`${c.base}/healthz`)).json();
    assert.equal(health.ok, true);
    assert.equal(health.cursor, after.cursor);
    assert.equal((await post(c.base, answer())).status, 202);
  });

  test('the storage code prepares only constant SQL (no statement is built from strings)', () => {
    const src = readFileSync(path.join(repoRoot, 'src/collector/sqlite_storage.cpp'), 'utf8');
    const prepares = [...src.matchAll(/\.prepare\(\s*[\w.>-]+\s*,\s*([^;]*?)\)\s*(?:\|\||&&|\)|;)/g)].map((m) => m[1].trim());
    assert.ok(prepares.length >= 8, `found ${prepares.length} prepared statements`);
    for (const sql of prepares) assert.match(sql, /^"[^"]*"(\s*"[^"]*")*$/, `SQL is a literal: ${sql}`);
    // sqlite3_exec only runs the fixed schema and pragmas.
    const execs = [...src.matchAll(/\bexec\(\s*[\w.>-]+\s*,\s*([^,]+),/g)].map((m) => m[1].trim());
    for (const e of execs) assert.match(e, /^("[^"]*"|schema_sql|sync\.c_str\(\))$/, `exec argument: ${e}`);
    assert.ok(!/sqlite3_mprintf|snprintf\([^)]*(SELECT|INSERT|UPDATE|DELETE)/i.test(src));
  });

  test('the PostgreSQL storage code runs only constant SQL, parameters bound', () => {
    const src = readFileSync(path.join(repoRoot, 'src/collector/pg_storage.cpp'), 'utf8');
    // Named statements and migrations are tables of literals; every call runs one of those.
    const table = (name) => {
      const m = new RegExp(`constexpr \\w+ ${name}\\[\\] = \\{([\\s\\S]*?)\\n\\};`).exec(src);
      assert.ok(m, `table ${name}`);
      return m[1].replace(/\/\/[^\n]*/g, '');
    };
    const statements = table('statements');
    const entries = [...statements.matchAll(/\{\s*("[^"]*")\s*,((?:\s*"(?:[^"\\]|\\.)*")+)\s*\}/g)];
    assert.ok(entries.length >= 10, `found ${entries.length} named statements`);
    assert.equal(statements.replace(/\{\s*"[^"]*"\s*,(?:\s*"(?:[^"\\]|\\.)*")+\s*\},?/g, '').trim(), '', 'statements holds only literal pairs');
    const migrations = table('migrations');
    assert.equal(migrations.replace(/\{\s*\d+\s*,\s*"[^"]*"\s*,(?:\s*"(?:[^"\\]|\\.)*")+\s*\},?/g, '').trim(), '', 'migrations holds only literals');
    // The n-th argument of every call of fn (commas inside literals and parentheses kept).
    const calls = (fn, n) => [...src.matchAll(new RegExp(`\\b${fn}\\(`, 'g'))]
      .filter((m) => !/\b(bool|void|PGresult\*)\s+$/.test(src.slice(Math.max(0, m.index - 12), m.index)))  // its definition
      .map((m) => {
      const args = [''];
      let depth = 0, quoted = false;
      for (let i = m.index + m[0].length; i < src.length; i++) {
        const ch = src[i];
        if (quoted) { if (ch === '\\') args[args.length - 1] += ch + src[++i]; else { if (ch === '"') quoted = false; args[args.length - 1] += ch; } continue; }
        if (ch === '"') quoted = true;
        if (ch === '(' || ch === '{') depth++;
        if (ch === ')' || ch === '}') { if (depth === 0) break; depth--; }
        if (ch === ',' && depth === 0) { args.push(''); continue; }
        args[args.length - 1] += ch;
      }
      return args[n]?.trim();
    }).filter((a) => a !== undefined);
    for (const a of calls('PQprepare', 2)) assert.equal(a, 's.sql', `PQprepare SQL: ${a}`);
    for (const a of calls('PQexec', 1)) assert.match(a, /^("[^"]*"|sql)$/, `PQexec SQL: ${a}`);
    for (const a of calls('exec_ok', 1)) assert.match(a, /^("[^"]*"|m\.sql|migrations_table_sql)$/, `exec_ok SQL: ${a}`);
    for (const a of calls('PQexecParams', 1)) assert.match(a, /^"[^"]*"$/, `PQexecParams SQL: ${a}`);
    for (const a of calls('PQexecPrepared', 1)) assert.equal(a, 'name');
    for (const a of calls('run', 0)) assert.match(a, /^("[a-z_]+"|name)$/, `statement name: ${a}`);
    assert.ok(!/PQescape|PQsendQuery\(|snprintf\([^)]*(SELECT|INSERT|UPDATE|DELETE)|"\s*\+\s*\w+\s*\+\s*"\s*(WHERE|VALUES|SET)/i.test(src));
  });

  test('the PostgreSQL bulk path (pg_bulk.cpp) runs only constant SQL too', () => {
    const src = readFileSync(path.join(repoRoot, 'src/collector/pg_bulk.cpp'), 'utf8');
    const m = /constexpr named_sql bulk_statements\[\] = \{([\s\S]*?)\n\};/.exec(src);
    assert.ok(m, 'table bulk_statements');
    const table = m[1].replace(/\/\/[^\n]*/g, '');
    assert.equal(table.replace(/\{\s*"[^"]*"\s*,(?:\s*"(?:[^"\\]|\\.)*")+\s*\},?/g, '').trim(), '', 'bulk_statements holds only literal pairs');
    // The staging table and the COPY: named constant literals.
    for (const name of ['staging_sql', 'copy_sql', 'copy_new_sql'])
      assert.match(src, new RegExp(`constexpr const char\\* ${name} =(\\s*"[^"]*")+;`), name);
    for (const call of src.matchAll(/\bPQexec\(\s*c_\s*,\s*([^)]*)\)/g)) assert.match(call[1].trim(), /^(sql|staging_sql|copy_sql|copy_new_sql)$/, `PQexec SQL: ${call[1]}`);
    for (const call of src.matchAll(/\bPQprepare\(\s*c_\s*,\s*[^,]+,\s*([^,]+),/g)) assert.equal(call[1].trim(), 's.sql');
    for (const call of src.matchAll(/\bPQexecPrepared\(\s*c_\s*,\s*([^,]+),/g)) assert.equal(call[1].trim(), 'name');
    for (const call of src.matchAll(/\b(?:run|step)\(\s*("[^"]*"|\w+)\s*[,)]/g)) assert.match(call[1], /^("[a-z_]+"|name)$/, `statement name: ${call[1]}`);
    for (const call of src.matchAll(/\bcopy_rows\(\s*([^,]+),/g)) assert.match(call[1].trim(), /^(copy_sql|copy_new_sql|const char\* sql)$/, `copy_rows SQL: ${call[1]}`);
    assert.ok(!/PQescape|PQsendQuery\(|PQexecParams|snprintf\([^)]*(SELECT|INSERT|UPDATE|DELETE)/i.test(src));
  });
});

describe('security: request smuggling basics (raw TCP)', () => {
  let c, host;
  before(async () => {
    c = await startCollector({ args: ['--rate', '0', '--timeout', '2'] });
    host = `127.0.0.1:${c.port}`;
  });
  after(async () => { await c.stop(); c.cleanup(); });

  // Each case: raw parts to send, and the id of a complete request hidden inside; the case
  // passes when the server refuses (4xx) or closes, answers at most the outer request, and
  // the hidden request is never stored.
  function cases() {
    const cs = [];
    const outer = (extraHeaders, body) => `POST /v1/responses HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n${extraHeaders}\r\n${body}`;
    const add = (name, build, { split = true } = {}) => {
      const id = newId('smuggled');
      const parts = build(smuggledRequest(id, host), id);
      cs.push({ name, id, parts });
      if (split && parts.length === 1) {
        // the same bytes, with the hidden request in a later segment
        const id2 = newId('smuggled');
        const p2 = build(smuggledRequest(id2, host), id2);
        const joined = p2[0];
        const cut = joined.indexOf(`POST /v1/responses HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length`, 10);
        if (cut > 0) cs.push({ name: `${name} (split)`, id: id2, parts: [joined.slice(0, cut), joined.slice(cut)] });
      }
    };
    const valid = JSON.stringify(answer());
    // CL.TE: a front end using Content-Length forwards everything; chunked ends early.
    add('Content-Length + Transfer-Encoding: chunked', (s) => [outer(
      `Content-Length: ${5 + s.length}\r\nTransfer-Encoding: chunked\r\n`, `0\r\n\r\n${s}`)]);
    add('Transfer-Encoding: chunked + Content-Length (other order)', (s) => [outer(
      `Transfer-Encoding: chunked\r\nContent-Length: ${5 + s.length}\r\n`, `0\r\n\r\n${s}`)]);
    // TE.CL: chunked covers everything, Content-Length is short.
    add('Transfer-Encoding + short Content-Length', (s) => {
      const chunk = `${valid}${s}`;
      return [outer(`Content-Length: 4\r\nTransfer-Encoding: chunked\r\n`, `${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`)];
    });
    add('two different Content-Length headers', (s) => [outer(
      `Content-Length: ${Buffer.byteLength(valid)}\r\nContent-Length: ${Buffer.byteLength(valid) + s.length}\r\n`, `${valid}${s}`)]);
    add('Content-Length with two values', (s) => [outer(
      `Content-Length: ${Buffer.byteLength(valid)}, ${Buffer.byteLength(valid) + s.length}\r\n`, `${valid}${s}`)]);
    add('Content-Length with a sign', (s) => [outer(`Content-Length: +${Buffer.byteLength(valid)}\r\n`, `${valid}${s}`)]);
    add('obfuscated Transfer-Encoding (chunked, identity)', (s) => [outer(
      `Content-Length: ${5 + s.length}\r\nTransfer-Encoding: chunked, identity\r\n`, `0\r\n\r\n${s}`)]);
    add('obfuscated Transfer-Encoding (xchunked)', (s) => [outer(
      `Content-Length: 5\r\nTransfer-Encoding: xchunked\r\n`, `0\r\n\r\n${s}`)]);
    add('two Transfer-Encoding headers', (s) => [outer(
      `Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\nContent-Length: ${5 + s.length}\r\n`, `0\r\n\r\n${s}`)]);
    add('malformed chunk size (zz)', (s) => [outer(`Transfer-Encoding: chunked\r\n`, `zz\r\n${s}`)]);
    add('negative chunk size', (s) => [outer(`Transfer-Encoding: chunked\r\n`, `-5\r\nhello\r\n${s}`)]);
    add('overflowing chunk size', (s) => [outer(`Transfer-Encoding: chunked\r\n`, `ffffffffffffffffffff\r\nhello\r\n${s}`)]);
    add('chunk shorter than its size', (s) => [outer(`Transfer-Encoding: chunked\r\n`, `3\r\n${valid.slice(0, 10)}\r\n0\r\n\r\n${s}`)]);
    // A body on a GET / OPTIONS that the server does not read would become the next request.
    add('GET with a Content-Length body', (s) => [`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${s.length}\r\n\r\n${s}`]);
    add('HEAD with a Content-Length body', (s) => [`HEAD /healthz HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${s.length}\r\n\r\n${s}`]);
    add('POST without Content-Length (read to the end?)', (s) => [`POST /v1/responses HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n\r\n${s}`]);
    add('OPTIONS preflight with a body', (s) => [`OPTIONS /v1/responses HTTP/1.1\r\nHost: ${host}\r\nOrigin: https://evil.example.net\r\nContent-Length: ${s.length}\r\n\r\n${s}`]);
    add('too many headers with a body', (s) => [`POST /v1/responses HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
      Array.from({ length: 120 }, (_, i) => `X-Pad-${i}: ${i}\r\n`).join('') + `Content-Length: ${s.length}\r\n\r\n${s}`]);
    add('oversize header line with a body', (s) => [`POST /v1/responses HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
      `X-Big: ${'a'.repeat(10000)}\r\nContent-Length: ${s.length}\r\n\r\n${s}`]);
    add('oversize request line', (s) => [`GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${s.length}\r\n\r\n${s}`]);
    add('header with a bare LF (Transfer-Encoding hidden)', (s) => [outer(
      `Transfer-Encoding: chunked\nContent-Length: ${5 + s.length}\r\n`, `0\r\n\r\n${s}`)]);
    return cs;
  }

  test('conflicting or malformed framing is refused or closed; no hidden request is ever stored', async () => {
    // Independent connections: run them together (each waits for the server to go quiet).
    const results = await Promise.all(cases().map(async (cs) => ({ ...cs, ...(await raw(c.port, cs.parts)) })));
    await sleep(200);
    const ids = await storedIds(c);
    const problems = [];
    for (const r of results) {
      if (ids.has(r.id)) problems.push(`${r.name}: the hidden request was stored (answers ${r.statuses.join(',')})`);
      if (r.statuses.length > 1) problems.push(`${r.name}: ${r.statuses.length} answers on one connection (${r.statuses.join(',')})`);
      if (r.statuses.some((s) => s < 400)) problems.push(`${r.name}: accepted (${r.statuses.join(',')})`);
    }
    assert.deepEqual(problems, []);
    // The server is unharmed.
    const health = await fetch(`${c.base}/healthz`);
    assert.equal(health.status, 200);
    await health.text();
  });

  test('a chunked body is refused, not buffered without bound', async () => {
    // 1 MB of chunks and no terminating chunk: a server that buffers without bound is still
    // waiting for the end; one that bounds bodies has answered (411 or 413) already.
    const socket = net.connect({ host: '127.0.0.1', port: c.port });
    await new Promise((r) => socket.on('connect', r));
    let data = '';
    let closed = false;
    socket.setEncoding('latin1');
    socket.on('data', (d) => (data += d));
    socket.on('error', () => {});
    socket.on('close', () => (closed = true));
    socket.write(`POST /v1/responses HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = 'x'.repeat(16384);
    for (let i = 0; i < 64 && !closed && !data; i++) socket.write(`4000\r\n${chunk}\r\n`);
    const deadline = Date.now() + 1500;  // below the collector's 2 s read timeout
    while (!data && !closed && Date.now() < deadline) await sleep(20);
    socket.destroy();
    // Either the refusal arrived, or the server closed (with unread bytes pending, the close is
    // a reset that can overtake the answer): both well before the read timeout.
    assert.ok(closed || /^HTTP\/1\.1 41[13]/.test(data), `neither a 411/413 nor a close before the read timeout: ${data.slice(0, 60)}`);
    if (data) assert.match(data, /^HTTP\/1\.1 41[13][^]*(length_required|too_large)/);
  });
});
