// Hostile input against the collector and the CLI: HTML/JS, bidi overrides, 1 MB strings,
// invalid UTF-8, NUL bytes, deep nesting, 1e309 and -0. Harmless text is stored verbatim (it
// is data, rendered as text everywhere); everything else is refused with a reason; nothing
// crashes. CSV export escaping of formula cells is tested with the dashboard's CSV export
// (tests/unit-csv_export.cpp), not here.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startCollector, answer, post, readAll, READ_KEY, cliBinary, tempDir, removeDir } from './collector-harness.mjs';

const TS = '2026-03-02T10:00:00Z';
const html = [
  '<img src=x onerror=alert(1)>',
  '</script><script>alert(document.cookie)</script>',
  '"><svg onload=alert(1)>',
  "javascript:alert('x')",
  '<!--', ']]>', '{{constructor.constructor("alert(1)")()}}', '${alert(1)}',
];
const bidi = ['\u202Egnp.exe\u202C', '\u2066isolate\u2069 \u200F\u202B', '\u061C\u200E\u200D', '𝕏 🧨 e\u0301 \uFEFF'];

// A raw body with bytes JSON.stringify cannot make (invalid UTF-8, raw NUL).
function rawBody(commentBytes) {
  return Buffer.concat([Buffer.from(`{"v":1,"id":"hostile-${Math.random().toString(36).slice(2, 12)}","survey":"s","score":9,"ts":"${TS}","comment":"`),
    commentBytes, Buffer.from('"}')]);
}

async function postRaw(base, body, contentType = 'application/json') {
  const res = await fetch(`${base}/v1/responses`, { method: 'POST', headers: { 'Content-Type': contentType }, body });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, json, text };
}

describe('hostile input: collector', () => {
  let c;
  before(async () => { c = await startCollector({ args: ['--rate', '0'] }); });
  after(async () => { await c.stop(); c.cleanup(); });

  test('HTML/JS, bidi overrides and odd Unicode in every text field: 202, stored and read back verbatim', async () => {
    const sent = [];
    for (const [i, s] of [...html, ...bidi].entries()) {
      const a = answer({
        score: i % 11, comment: `${s} ${s}`, user: s, trigger: s, page: `/x/${s}`, locale: s.slice(0, 20), email: `${s}@x`,
        attributes: { plan: s, __proto__x: s, constructor: s, toString: s },
      });
      const r = await post(c.base, a);
      assert.equal(r.status, 202, `${s}: ${r.text}`);
      sent.push(a);
    }
    // JSON keys that would pollute a careless reader's prototype are plain data here.
    const proto = answer();
    const protoBody = JSON.stringify(proto).replace(/}$/, ',"attributes":{"__proto__":"polluted","prototype":"p"}}');
    assert.equal((await postRaw(c.base, protoBody)).status, 202);
    // 2000 astral code points (8,000 bytes) is exactly the comment limit: accepted.
    const astral = answer({ comment: '🧨'.repeat(2000) });
    assert.equal((await post(c.base, astral)).status, 202);
    sent.push(astral);

    const rows = (await readAll(c.base, READ_KEY)).items;
    for (const a of sent) {
      const row = rows.find((r) => r.id === a.id);
      assert.ok(row, a.id);
      for (const k of ['comment', 'user', 'trigger', 'page', 'locale', 'email']) assert.equal(row[k], a[k], `${k} of ${a.id}`);
      assert.deepEqual(row.attributes, a.attributes);
    }
    const p = rows.find((r) => r.id === proto.id);
    assert.ok(Object.prototype.hasOwnProperty.call(p.attributes, '__proto__'));
    assert.equal(({}).polluted, undefined);
    // Reads are JSON, never HTML: a browser would not render a stored payload.
    const res = await fetch(`${c.base}/v1/responses`, { headers: { Authorization: `Bearer ${READ_KEY}` } });
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    await res.text();
  });

  test('refused with 400/413 and a reason; nothing stored; the collector keeps running', async () => {
    const before = (await readAll(c.base, READ_KEY)).items.length;
    const deepArray = '['.repeat(30000) + ']'.repeat(30000);
    let deepAttr = '"x"';
    for (let i = 0; i < 20; i++) deepAttr = `{"a":${deepAttr}}`;
    const base = `"v":1,"survey":"s","ts":"${TS}"`;
    const id = () => `"id":"hostile-${Math.random().toString(36).slice(2, 12)}"`;
    const cases = [
      // [name, body, expected status, expected code (or a list of acceptable codes)]
      ['1 MB comment', JSON.stringify(answer({ comment: 'x'.repeat(1 << 20) })), 413, 'too_large'],
      ['1 MB attribute key', JSON.stringify(answer({ attributes: { ['k'.repeat(1 << 20)]: 1 } })), 413, 'too_large'],
      ['1 MB of nesting', '['.repeat(1 << 20), 413, 'too_large'],
      ['60 KB comment (under the body limit)', JSON.stringify(answer({ comment: 'x'.repeat(60000) })), 400, 'too_long'],
      ['30,000 nested arrays', deepArray, 400, ['too_deep', 'not_json']],
      ['attributes nested 20 deep', `{${id()},${base},"score":9,"attributes":{"a":${deepAttr}}}`, 400, ['too_deep', 'bad_attribute_value']],
      ['an object as attribute value', `{${id()},${base},"score":9,"attributes":{"a":{"b":1}}}`, 400, 'bad_attribute_value'],
      ['invalid UTF-8 (0xFF)', rawBody(Buffer.from([0x61, 0xff, 0x62])), 400, ['bad_utf8', 'not_json']],
      ['invalid UTF-8 (overlong /)', rawBody(Buffer.from([0xc0, 0xaf])), 400, ['bad_utf8', 'not_json']],
      ['invalid UTF-8 (encoded surrogate)', rawBody(Buffer.from([0xed, 0xa0, 0x80])), 400, ['bad_utf8', 'not_json']],
      ['invalid UTF-8 (truncated sequence)', rawBody(Buffer.from([0xe2, 0x82])), 400, ['bad_utf8', 'not_json']],
      ['lone surrogate escape', `{${id()},${base},"score":9,"comment":"\\ud800"}`, 400, ['bad_utf8', 'not_json']],
      ['escaped NUL in a comment', JSON.stringify(answer({ comment: 'a\u0000b' })), 400, 'control_character'],
      ['raw NUL inside a string', rawBody(Buffer.from([0x61, 0x00, 0x62])), 400, ['not_json', 'control_character']],
      ['raw NUL after the object', Buffer.concat([Buffer.from(JSON.stringify(answer())), Buffer.from([0])]), 400, 'not_json'],
      ['escape sequence for a bidi-free control (BEL)', JSON.stringify(answer({ user: 'a\u0007' })), 400, 'control_character'],
      ['score 1e309', `{${id()},${base},"score":1e309}`, 400, ['not_json', 'score_not_integer', 'wrong_type']],
      ['score -1e309', `{${id()},${base},"score":-1e309}`, 400, ['not_json', 'score_not_integer', 'wrong_type']],
      ['attribute 1e309', `{${id()},${base},"score":9,"attributes":{"n":1e309}}`, 400, ['not_json', 'bad_attribute_value']],
      ['score -0.0', `{${id()},${base},"score":-0.0}`, 400, 'score_not_integer'],
      ['score 9.0', `{${id()},${base},"score":9.0}`, 400, 'score_not_integer'],
      ['score 1e1', `{${id()},${base},"score":1e1}`, 400, 'score_not_integer'],
      ['score "9"', `{${id()},${base},"score":"9"}`, 400, 'wrong_type'],
      ['HTML as a field name', `{${id()},${base},"score":9,"<img src=x onerror=alert(1)>":1}`, 400, 'unknown_field'],
      ['HTML as an attribute key', JSON.stringify(answer({ attributes: { '<b>': 'x' } })), 400, 'bad_attribute_key'],
      ['empty body', '', 400, 'not_json'],
      ['null', 'null', 400, 'not_object'],
      ['a string', '"<script>"', 400, 'not_object'],
      ['truncated JSON', JSON.stringify(answer()).slice(0, 40), 400, 'not_json'],
    ];
    for (const [name, body, status, code] of cases) {
      const r = await postRaw(c.base, body);
      assert.equal(r.status, status, `${name}: ${r.status} ${r.text.slice(0, 200)}`);
      assert.match(r.headers.get('content-type'), /^application\/json/, name);
      assert.ok(Array.isArray(r.json?.errors) && r.json.errors.length >= 1, `${name}: a reason`);
      const codes = r.json.errors.map((e) => e.code);
      const wanted = Array.isArray(code) ? code : [code];
      assert.ok(codes.some((x) => wanted.includes(x)), `${name}: codes ${codes.join(',')}, wanted one of ${wanted.join(',')}`);
      for (const e of r.json.errors) assert.ok(typeof e.message === 'string' && e.message.length > 5, `${name}: a sentence`);
    }
    // -0 is the integer zero in JSON: a valid score 0.
    const zero = answer();
    const z = await postRaw(c.base, JSON.stringify(zero).replace(/"score":9/, '"score":-0'));
    assert.equal(z.status, 202);
    const rows = (await readAll(c.base, READ_KEY)).items;
    assert.equal(rows.length, before + 1, 'only the -0 answer was stored');
    assert.equal(rows.find((r) => r.id === zero.id).score, 0);
    assert.equal(c.child.exitCode, null, 'the collector is still running');
    const health = await (await fetch(`${c.base}/healthz`)).json();
    assert.equal(health.ok, true);
  });

  test('the same payloads sent all at once (64 concurrent requests) do not crash it', async () => {
    const bodies = [];
    for (let i = 0; i < 64; i++) {
      const k = i % 4;
      bodies.push(k === 0 ? '['.repeat(30000) : k === 1 ? rawBody(Buffer.from([0xff, 0x00]))
        : k === 2 ? JSON.stringify(answer({ comment: html[i % html.length] })) : JSON.stringify(answer({ comment: 'x'.repeat(70000) })));
    }
    const results = await Promise.all(bodies.map((b) => postRaw(c.base, b)));
    assert.deepEqual([...new Set(results.map((r) => r.status))].sort(), [202, 400, 413]);
    assert.equal(results.filter((r) => r.status === 202).length, 16);
    assert.equal(c.child.exitCode, null);
    assert.equal((await fetch(`${c.base}/healthz`)).status, 200);
  });
});

describe('hostile input: CLI (npskit score / validate)', () => {
  let dir;
  before(() => { dir = tempDir('npskit-hostile-'); });
  after(() => removeDir(dir));

  const row = (i, extra = {}) => JSON.stringify({ v: 1, id: `hostile-${String(i).padStart(4, '0')}`, survey: 's', score: 9, ts: TS, ...extra });
  const run = (...args) => {
    const r = spawnSync(cliBinary, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 30000 });
    assert.equal(r.signal, null, `npskit ${args.join(' ')} died with ${r.signal}`);
    return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
  };
  const skippedLines = (err, file) => [...err.matchAll(new RegExp(`${file}:(\\d+): skipped`, 'g'))].map((m) => Number(m[1]));

  test('NDJSON: hostile rows are counted as bad with their line, harmless HTML/bidi rows count, exit 0', () => {
    const lines = [
      Buffer.from(row(1)),
      Buffer.from(row(2, { comment: html.join(' ') })),                       // valid
      Buffer.from(row(3, { comment: bidi.join(' '), user: '\u202E' })),       // valid
      Buffer.from(row(4, { comment: 'x'.repeat(1 << 20) })),                 // over 1 MB: bad
      Buffer.from(row(5, { comment: '=HYPERLINK("http://evil","x")' })),      // valid (text)
      Buffer.concat([Buffer.from(row(6, { comment: 'a' })).subarray(0, -3), Buffer.from([0xff]), Buffer.from('"}')]),  // invalid UTF-8
      Buffer.from(row(7, { comment: 'a\u0000b' })),                           // escaped NUL: bad
      Buffer.concat([Buffer.from(row(8, { comment: 'a' })).subarray(0, -2), Buffer.from([0x00]), Buffer.from('"}')]),  // raw NUL
      Buffer.from('['.repeat(500000) + ']'.repeat(500000)),                   // deep nesting
      Buffer.from(`{"v":1,"id":"hostile-0010","survey":"s","score":1e309,"ts":"${TS}"}`),
      Buffer.from(`{"v":1,"id":"hostile-0011","survey":"s","score":-0,"ts":"${TS}"}`),  // valid, score 0
      Buffer.from(`{"v":1,"id":"hostile-0012","survey":"s","score":-0.0,"ts":"${TS}"}`),
      Buffer.from(row(13, { attributes: { a: { b: { c: 1 } } } })),
      Buffer.from('x'.repeat(2 << 20)),                                       // a 2 MB garbage line
      Buffer.from(row(15)),
    ];
    const file = path.join(dir, 'hostile.ndjson');
    writeFileSync(file, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
    const r = run('score', file);
    assert.equal(r.code, 0, r.err);
    const j = r.json();
    assert.equal(j.rows, 15);
    assert.equal(j.n, 6);
    assert.equal(j.skipped_rows, 9);
    assert.equal(j.histogram[0], 1, '-0 counts as a 0');
    assert.equal(j.promoters, 5);
    assert.deepEqual(skippedLines(r.err, 'hostile.ndjson'), [4, 6, 7, 8, 9, 10, 12, 13, 14]);
    const v = run('validate', file);
    assert.equal(v.code, 1);
    assert.deepEqual(JSON.parse(v.out), { valid: 6, invalid: 9 });
  });

  test('CSV: formula, HTML, bidi and quoted cells count; 1 MB cell, invalid UTF-8, NUL, 1e309, unterminated quote are bad rows', () => {
    const rows = [
      'score,date,comment,plan',
      `9,2026-01-01,"${html[0]}${html[1].replace(/"/g, '""')}",pro`,
      `10,2026-01-02,"=cmd|' /C calc'!A0",pro`,
      `3,2026-01-03,"${bidi[0]}",free`,
      '8,2026-01-04,"multi\nline ""quoted"" cell",pro',
      `7,2026-01-05,"${'y'.repeat(1 << 20)}",pro`,
      '6,2026-01-06,a\uFFFDb,pro',
      '5,2026-01-07,a\u0000b,pro',
      '1e309,2026-01-08,big,pro',
      'abc,2026-01-09,nope,pro',
      '4,2026-01-10,"unterminated',
    ];
    const file = path.join(dir, 'hostile.csv');
    // the U+FFFD placeholder becomes a raw 0xFF byte (invalid UTF-8)
    writeFileSync(file, Buffer.from(rows.join('\n')).toString('latin1').replace('a\u00ef\u00bf\u00bdb', 'a\u00ffb'), 'latin1');
    const r = run('score', file);
    assert.equal(r.code, 0, r.err);
    const j = r.json();
    assert.equal(j.n, 4);
    assert.equal(j.skipped_rows, 6);
    assert.deepEqual(skippedLines(r.err, 'hostile.csv'), [7, 8, 9, 10, 11, 12]);
    // The 1 MB cell: its row is over the CSV row cap (256 KB), refused before the cell is held.
    assert.match(r.err, /hostile\.csv:7: skipped: CSV row is larger than 262144 bytes/);
    assert.match(r.err, /hostile\.csv:8: skipped: comment is not valid UTF-8/);
    assert.match(r.err, /hostile\.csv:9: skipped: comment contains a control character/);
    assert.match(r.err, /hostile\.csv:12: skipped: a quoted field is not closed/);
  });

  test('JSON array (minified, one line): each bad element is a bad row, the others all count', () => {
    const file = path.join(dir, 'hostile.json');
    writeFileSync(file, Buffer.concat([
      Buffer.from(`[{"score":9,"date":"2026-01-01","comment":${JSON.stringify(html[1])}},{"score":1e309},{"score":-0,"date":"2026-01-02"},`),
      Buffer.from('['.repeat(60000) + ']'.repeat(60000)),
      Buffer.from(',{"score":7,"date":"2026-01-02","comment":"a'), Buffer.from([0xff]), Buffer.from('b"},{"score":8,"date":"2026-01-03"}]'),
    ]));
    const r = run('score', file);
    assert.equal(r.code, 0, r.err);
    const j = r.json();
    assert.equal(j.rows, 6);
    assert.equal(j.skipped_rows, 3);
    assert.equal(j.n, 3, 'every valid element of a one-line array counts (ids must not collide)');
    assert.deepEqual(j.histogram.map((n, s) => (n ? s : -1)).filter((s) => s >= 0), [0, 8, 9]);
  });

  test('1 MB of nesting, random bytes and an empty file: exit 1 with a message, no crash', () => {
    const deep = path.join(dir, 'deep.ndjson');
    writeFileSync(deep, '['.repeat((1 << 20) - 10) + '\n');
    const d = run('score', deep);
    assert.equal(d.code, 1);
    assert.match(d.err, /no valid row/);
    let seed = 7;
    const bytes = Buffer.alloc(300000);
    for (let i = 0; i < bytes.length; i++) { seed = (seed * 1103515245 + 12345) >>> 0; bytes[i] = seed >>> 24; }
    const garbage = path.join(dir, 'garbage.bin');
    writeFileSync(garbage, bytes);
    const g = run('score', garbage);
    assert.equal(g.code, 1);
    assert.equal(g.json().n, 0);
    assert.ok(g.json().skipped_rows > 0);
    const empty = path.join(dir, 'empty.csv');
    writeFileSync(empty, '');
    assert.equal(run('score', empty).code, 1);
  });
});
