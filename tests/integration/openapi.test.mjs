// docs/openapi.yaml cannot drift from the collector:
// - `redocly lint` finds nothing (no error, no warning);
// - its error-code lists equal src/collector/collector_errors.h and src/core/schema.h, its
//   record schema the fields and limits of NPSKIT_RECORD_FIELDS;
// - real requests to a running collector (valid, invalid, unauthorized, too large, preflight,
//   conflicts, rate limits, the HTTP layer's refusals) and their answers (status, headers, JSON
//   body) are validated against it with ajv (OpenAPI 3.1 schemas are JSON Schema 2020-12);
// - every documented operation answers (no 404/405), and every path and method the server
//   answers is documented;
// - the webhook requests the collector sends (to a receiver inside the test) match the
//   document's `webhooks`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { Webhook } from 'standardwebhooks';
import { startCollector, tempDir, removeDir, answer, repoRoot, READ_KEY, waitFor } from './collector-harness.mjs';

const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const addFormats = addFormatsModule.default ?? addFormatsModule;
const redocly = path.join(repoRoot, 'node_modules/.bin/redocly');
const specPath = path.join(repoRoot, 'docs/openapi.yaml');
const ORIGIN = 'https://app.example.com';
const auth = { Authorization: `Bearer ${READ_KEY}` };
const ADMIN_KEY = 'openapi-admin-key-0123';
const adminAuth = { Authorization: `Bearer ${ADMIN_KEY}` };
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// redocly.yaml (repo root) says telemetry: off; the environment says it too, and no update check.
const redoclyRun = (args) => spawnSync(redocly, args, {
  cwd: repoRoot, encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
});

let dir, spec, ajv, collector, limited, receiver;
let deliveryId = '1';               // a real delivery, once the webhooks test has read the log
let followUpId = 'none';            // a stored answer, once the follow-ups test has posted it
const observedCodes = new Set();    // error codes the server answered with during the test
const answered = new Map();         // "METHOD /path" → statuses seen

before(async () => {
  dir = tempDir('npskit-openapi-');
  const out = path.join(dir, 'openapi.json');
  const r = redoclyRun(['bundle', specPath, '--ext', 'json', '-o', out]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  spec = JSON.parse(readFileSync(out, 'utf8'));
  ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  // The components' schemas as one JSON Schema document: '#/components/schemas/X' → '#/$defs/X'.
  ajv.addSchema({ $id: 'npskit-openapi', $defs: rewriteRefs(spec.components.schemas) });

  const web = path.join(dir, 'web'), examples = path.join(dir, 'examples');
  mkdirSync(path.join(web, 'dashboard'), { recursive: true });
  mkdirSync(path.join(examples, 'saas-demo'), { recursive: true });
  writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>npskit</title>');
  writeFileSync(path.join(web, 'app.js'), 'export {};\n');
  writeFileSync(path.join(web, 'dashboard', 'index.html'), '<!doctype html><title>dashboard</title>');
  writeFileSync(path.join(examples, 'saas-demo', 'index.html'), '<!doctype html><title>demo</title>');
  writeFileSync(path.join(examples, 'notes.txt'), 'notes\n');
  const common = ['--origins', ORIGIN, '--web', web, '--examples', examples, '--quiet', '--trusted-proxy', '127.0.0.1/32'];
  // Webhooks: endpoint 1 (standard, signed) takes everything; endpoint 2 (slack) answers 410
  // first, so it is disabled until the test re-enables it.
  receiver = await startReceiver();
  const hooks = ['--admin-key', ADMIN_KEY, '--webhook', `${receiver.url}/hook`, '--webhook-secret', SECRET,
    '--webhook', `${receiver.url}/slack`, '--webhook-format', 'slack'];
  collector = await startCollector({ args: [...common, ...hooks, '--rate', '0', '--max-streams', '2', '--request-timeout', '1', '--max-read-failures', '0'] });
  // Rate limits and the read-key slow-down on a collector of their own (one token: the second
  // write is 429); it has no --admin-key (admin_disabled) and no webhooks.
  limited = await startCollector({ args: [...common, '--rate', '0.01', '--burst', '1', '--max-read-failures', '1', '--aggregate-scan-rows', '0'] });
});

after(async () => {
  await collector?.stop();
  await limited?.stop();
  await receiver?.close();
  collector?.cleanup();
  limited?.cleanup();
  if (dir) removeDir(dir);
});

function rewriteRefs(value) {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
        ? `npskit-openapi#/$defs/${v.slice('#/components/schemas/'.length)}` : rewriteRefs(v);
    }
    return out;
  }
  return value;
}

// A webhook receiver: every request is checked against the document's `webhooks` (headers,
// body) and, when signed, verified with the reference library. /slack answers 410 once.
async function startReceiver() {
  const wh = new Webhook(SECRET);
  const requests = [];
  let slackGone = true;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const name = req.url === '/slack' ? 'slackMessage' : 'responseEvent';
      const problems = webhookProblems(name, req.headers, body);
      if (req.headers['webhook-signature']) {
        try { wh.verify(body, req.headers); } catch (e) { problems.push(`signature: ${e}`); }
      }
      const status = name === 'slackMessage' && slackGone ? 410 : 200;
      if (status === 410) slackGone = false;
      requests.push({ name, id: req.headers['webhook-id'], status, problems, body });
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function webhookProblems(name, headers, body) {
  const op = spec.webhooks[name].post;
  const problems = [];
  for (const p of (op.parameters ?? []).map(deref)) {
    const v = headers[p.name.toLowerCase()];
    if (v === undefined) {
      if (p.required) problems.push(`${name}: header ${p.name} is required`);
    } else problems.push(...schemaProblems(p.schema, v, `${name}: header ${p.name}`));
  }
  const type = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const media = deref(op.requestBody).content[type];
  if (!media) return [...problems, `${name}: content type '${type}' is not documented`];
  let parsed;
  try { parsed = JSON.parse(body); } catch { return [...problems, `${name}: body is not JSON`]; }
  return [...problems, ...schemaProblems(media.schema, parsed, `${name}: body`)];
}

// An OpenAPI Reference Object ('#/components/responses/X', …) resolved in the bundle.
function deref(obj) {
  while (obj && obj.$ref) {
    obj = obj.$ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).reduce((o, k) => o?.[k], spec);
  }
  return obj;
}

const compiled = new Map();
function validator(schema) {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) compiled.set(key, ajv.compile(rewriteRefs(schema)));
  return compiled.get(key);
}
function schemaProblems(schema, value, where) {
  const v = validator(schema);
  return v(value) ? [] : [`${where}: ${ajv.errorsText(v.errors)}`];
}
const componentSchema = (name) => ({ $ref: `#/components/schemas/${name}` });

// The operation the document gives for (method, path), or null, with the path parameters'
// values. Concrete paths win over templates; a template's {file} may hold '/' but never stands
// for a /v1/ path, and a /v1/ template's parameter is one segment.
function findOperation(method, urlPath) {
  const m = method.toLowerCase();
  const paths = Object.keys(spec.paths);
  const concrete = paths.find((p) => !p.includes('{') && p === urlPath);
  let pathValues = {};
  const matchPath = concrete ?? paths.filter((p) => p.includes('{')).sort((a, b) => b.length - a.length).find((p) => {
    if (urlPath.startsWith('/v1/') !== p.startsWith('/v1/')) return false;
    const names = [...p.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]);
    const re = new RegExp(`^${p.replace(/\{([^}]+)\}/g, (_, n) => (n === 'file' ? '(.+)' : '([^/]+)'))}$`);
    const found = re.exec(urlPath);
    if (found) pathValues = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(found[i + 1])]));
    return Boolean(found);
  });
  if (!matchPath) return null;
  const item = spec.paths[matchPath];
  const op = item[m];
  return op ? { op, pathItem: item, template: matchPath, pathValues } : null;
}

const HEADER_PARAMS_IGNORED = new Set(['content-type', 'content-length', 'authorization', 'host', 'connection',
  'user-agent', 'accept-encoding', 'accept-language', 'sec-fetch-mode', 'x-forwarded-for']);
// Headers an answer carries that the document must name (transport headers aside).
const DOCUMENTED_RESPONSE_HEADERS = /^(x-|retry-after$|www-authenticate$|location$|cache-control$|vary$|access-control-|etag$|last-modified$)/;

function requestProblems(found, req) {
  const problems = [];
  const { op, pathItem } = found;
  const params = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])].map(deref);
  const url = new URL(req.path, 'http://x');
  const query = url.searchParams;
  const security = op.security ?? spec.security ?? [];
  const schemes = spec.components.securitySchemes;
  const queryKeys = new Set(security.flatMap((s) => Object.keys(s)).map((n) => schemes[n]).filter((s) => s.type === 'apiKey' && s.in === 'query').map((s) => s.name));
  for (const name of new Set(query.keys())) {
    if (queryKeys.has(name)) continue;  // a security scheme of this operation (accessToken)
    const p = params.find((q) => q.in === 'query' && q.name === name);
    if (!p) {
      problems.push(`query parameter ${name} is not documented`);
      continue;
    }
    const values = query.getAll(name);
    const value = p.schema?.type === 'array' ? values : values[0];
    problems.push(...schemaProblems(p.schema, value, `query ${name}`));
  }
  const headers = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  for (const p of params) {
    if (p.in === 'query' && p.required && !query.has(p.name)) problems.push(`query ${p.name} is required`);
    if (p.in === 'path') problems.push(...schemaProblems(p.schema, found.pathValues[p.name], `path ${p.name}`));
    if (p.in === 'header') {
      const v = headers[p.name.toLowerCase()];
      if (v === undefined) {
        if (p.required) problems.push(`header ${p.name} is required`);
      } else problems.push(...schemaProblems(p.schema, v, `header ${p.name}`));
    }
  }
  // One of the operation's security requirements must be met (bearer schemes: an Authorization
  // header; apiKey schemes: their query parameter). Whether the key is right is the server's.
  const bearer = /^bearer .+/i.test(headers.authorization ?? '');
  const met = (n) => (schemes[n].type === 'http' ? bearer : query.has(schemes[n].name));
  if (security.length > 0 && !security.some((s) => Object.keys(s).every(met)))
    problems.push(`no credentials (${security.map((s) => Object.keys(s).join(' + ') || 'none').join(' or ')})`);
  if (op.requestBody) {
    const body = deref(op.requestBody);
    const type = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const media = body.content[type];
    if (!media) problems.push(`request content type '${type}' is not documented`);
    else {
      let parsed;
      try { parsed = JSON.parse(req.body); } catch { problems.push('request body is not JSON'); }
      if (parsed !== undefined) problems.push(...schemaProblems(media.schema, parsed, 'request body'));
    }
  }
  return problems;
}

function responseProblems(found, method, res) {
  const problems = [];
  const documented = found.op.responses[String(res.status)] ?? found.op.responses[`${String(res.status)[0]}XX`] ?? found.op.responses.default;
  if (!documented) return [`status ${res.status} is not documented for ${method} ${found.template}`];
  const r = deref(documented);
  const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), deref(v)]));
  for (const [name, h] of Object.entries(headers)) {
    const value = res.headers[name];
    if (value === undefined) {
      if (h.required) problems.push(`header ${name} is required in ${res.status}`);
    } else problems.push(...schemaProblems(h.schema, value, `header ${name}`));
  }
  for (const name of Object.keys(res.headers))
    if (DOCUMENTED_RESPONSE_HEADERS.test(name) && !headers[name]) problems.push(`header ${name} is sent but not documented in ${res.status}`);
  if (method === 'HEAD' || res.status === 204 || res.status === 301) return problems;
  const type = (res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!r.content) {
    if (res.body.length) problems.push(`${res.status} has a body but documents none`);
    return problems;
  }
  const media = r.content[type] ?? r.content['*/*'];
  if (!media) return [...problems, `content type '${type}' is not documented for ${res.status}`];
  if (type === 'application/json') {
    let parsed;
    try { parsed = JSON.parse(res.body); } catch { return [...problems, 'body is not JSON']; }
    problems.push(...schemaProblems(media.schema, parsed, `${res.status} body`));
    for (const e of parsed.errors ?? []) observedCodes.add(e.code);
  } else if (type === 'application/x-ndjson') {
    for (const line of res.body.split('\n').filter(Boolean)) problems.push(...schemaProblems(componentSchema('Response'), JSON.parse(line), 'ndjson line'));
  } else if (type === 'text/event-stream') {
    for (const m of res.body.matchAll(/^data: (.*)$/gm)) problems.push(...schemaProblems(componentSchema('Response'), JSON.parse(m[1]), 'event data'));
  } else {
    problems.push(...schemaProblems(media.schema, res.body, `${res.status} body`));
  }
  return problems;
}

// One request through fetch; checks it and its answer against the document. expectValid: what
// the document must say of the request (true: valid, false: invalid, null: not a schema matter).
async function call({ method = 'GET', path: p, headers = {}, body, expectValid = true, server = collector, stream = false }) {
  const init = { method, headers, body, redirect: 'manual' };
  const ac = new AbortController();
  init.signal = ac.signal;
  const r = await fetch(`${server.base}${p}`, init);
  let text = '';
  if (stream && r.status === 200 && r.body) {
    // An open stream: read until the first event (or a moment), then hang up.
    const reader = r.body.getReader();
    const deadline = Date.now() + 1500;
    while (!/\n\n(id|event|data):[^\n]*\n(?:[^\n]+\n)*\n/.test(`\n\n${text}`) || !text.includes('data:')) {
      const chunk = await Promise.race([reader.read(), new Promise((res) => setTimeout(() => res({ timeout: true }), Math.max(1, deadline - Date.now())))]);
      if (chunk.timeout || chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
      if (Date.now() > deadline) break;
    }
    ac.abort();
    text = text.slice(0, text.lastIndexOf('\n\n') + 2);
  } else {
    text = await r.text();
  }
  const res = { status: r.status, headers: Object.fromEntries(r.headers), body: text };
  check(method, p, { headers, body }, res, expectValid);
  return res;
}

function check(method, p, req, res, expectValid) {
  const urlPath = p.split('?')[0];
  const key = `${method} ${urlPath}`;
  if (!answered.has(key)) answered.set(key, new Set());
  answered.get(key).add(res.status);
  const found = findOperation(method, urlPath);
  const where = `${method} ${p} → ${res.status}`;
  if (!found) {
    assert.ok([404, 405].includes(res.status), `${where}: answered, but not in docs/openapi.yaml`);
    // Not a route: still the one error body.
    if (method === 'HEAD') return;
    const errors = res.status === 404 ? 'Errors404' : 'Errors405';
    assert.deepEqual(schemaProblems(componentSchema(errors), JSON.parse(res.body), 'body'), [], where);
    observedCodes.add(JSON.parse(res.body).errors[0].code);
    return;
  }
  if (expectValid !== null) {
    const problems = requestProblems(found, { path: p, headers: req.headers, body: req.body });
    if (expectValid) assert.deepEqual(problems, [], `${where}: the document refuses this request`);
    else assert.notDeepEqual(problems, [], `${where}: the document accepts this request, the server did not`);
  }
  assert.deepEqual(responseProblems(found, method, res), [], where);
}

// A request written on a socket as is (framing the HTTP layer refuses); the answer parsed.
function raw(text, { server = collector, waitMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => { data += d; });
    socket.on('error', () => {});
    socket.on('close', () => {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no answer to ${JSON.stringify(text.slice(0, 80))}: ${data}`));
      const [statusLine, ...lines] = data.slice(0, end).split('\r\n');
      const headers = {};
      for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: data.slice(end + 4) });
    });
    socket.write(text, 'latin1', () => { if (!waitMs) setTimeout(() => socket.end(), 50); });
    setTimeout(() => socket.destroy(), 5000);
  });
}

test('redocly lint: no error, no warning', () => {
  const r = redoclyRun(['lint', '--format', 'stylish', specPath]);
  const out = r.stdout + r.stderr;
  assert.equal(r.status, 0, out);
  assert.match(out, /valid/i);
  assert.doesNotMatch(out, /\bwarning\b\s+\S/, out);
});

test('the error codes equal the X-macro lists; the record schema equals NPSKIT_RECORD_FIELDS', () => {
  const collectorText = readFileSync(path.join(repoRoot, 'src/collector/collector_errors.h'), 'utf8');
  const list = [...collectorText.matchAll(/^\s*X\((\w+), (\d+),[\s\\]*"/gm)].map((m) => [m[1], Number(m[2])]);
  assert.ok(list.length >= 18);
  assert.deepEqual(spec.components.schemas.CollectorErrorCode.enum, list.map(([c]) => c));
  assert.deepEqual(spec['x-npskit-error-codes'], Object.fromEntries(list));
  // Each status's response lists exactly that status's codes (400 adds the record's).
  const schemaText = readFileSync(path.join(repoRoot, 'src/core/schema.h'), 'utf8');
  const block = schemaText.slice(schemaText.indexOf('#define NPSKIT_SCHEMA_ERRORS'), schemaText.indexOf('enum class schema_error_code'));
  const schemaCodes = [...block.matchAll(/X\((\w+),[\s\\]*"/g)].map((m) => m[1]);
  assert.deepEqual(spec.components.schemas.SchemaErrorCode.enum, schemaCodes);
  for (const status of new Set(list.map(([, s]) => s))) {
    const codes = list.filter(([, s]) => s === status).map(([c]) => c);
    const schema = spec.components.schemas[`Errors${status}`];
    assert.ok(schema, `Errors${status} is missing`);
    const code = schema.properties.errors.items.properties.code;
    assert.deepEqual(code.enum ?? code.anyOf[0].enum, codes, `Errors${status}`);
    if (status === 400) assert.deepEqual(code.anyOf[1], { $ref: '#/components/schemas/SchemaErrorCode' });
    // The status is an answer somewhere, with that body (or one that narrows it: `$ref` to it).
    const errorsRef = `#/components/schemas/Errors${status}`;
    const refersTo = (ref) => ref === errorsRef || (ref?.startsWith('#/components/schemas/') && spec.components.schemas[ref.split('/').pop()]?.$ref === errorsRef);
    const used = Object.values(spec.paths).some((item) => Object.values(item).some((op) => {
      const r = op.responses?.[String(status)];
      return r && refersTo(deref(r).content?.['application/json']?.schema?.$ref);
    }));
    assert.ok(used, `no operation answers ${status}`);
  }

  // The record: the fields of the X-macro list (plus "v"), their kinds and limits.
  const fields = [...schemaText.slice(schemaText.indexOf('#define NPSKIT_RECORD_FIELDS'))
    .matchAll(/^\s*X\((\w+), "(\w+)", (\w+), (\w+), (\w+), (\w+)\)/gm)].map((m) => ({ json: m[2], kind: m[3], limit: m[4], update: m[5] }));
  const limitsBlock = schemaText.slice(schemaText.indexOf('struct schema_limits'));
  const limit = (name) => {
    const m = new RegExp(`${name} = ([0-9 *]+);`).exec(limitsBlock);
    return Function(`return ${m[1]}`)();
  };
  const record = spec.components.schemas.Response;
  const props = record.properties;
  assert.deepEqual(Object.keys(props), ['v', ...fields.map((f) => f.json)]);
  assert.equal(record.additionalProperties, false);
  const resolve = (s) => (s.$ref ? spec.components.schemas[s.$ref.split('/').pop()] : s);
  for (const f of fields) {
    const s = resolve(props[f.json]);
    if (f.kind === 'text' || f.kind === 'multiline') assert.equal(s.maxLength, limit(f.limit), f.json);
    if (f.kind === 'attributes') {
      assert.equal(s.maxProperties, limit(f.limit));
      assert.equal(s.additionalProperties.anyOf[0].maxLength, limit('max_attribute_value_chars'));
      assert.equal(s.propertyNames.pattern, `^[A-Za-z0-9_.-]{1,${limit('max_attribute_key_chars')}}$`);
    }
    if (f.kind === 'boolean') assert.deepEqual(s.type, ['boolean', 'null']);
    if (f.kind === 'score') assert.deepEqual([s.minimum, s.maximum], [0, 10]);
  }
  // A 409 names the fields a later write may not change: all but the id and first_wins (ts).
  const conflictFields = fields.filter((f) => f.kind !== 'id' && f.update !== 'first_wins').map((f) => f.json);
  assert.deepEqual(spec.components.schemas.Errors409.properties.errors.items.properties.field.enum, conflictFields);
  const version = /project\(npskit VERSION (\S+)/.exec(readFileSync(path.join(repoRoot, 'CMakeLists.txt'), 'utf8'))[1];
  assert.equal(spec.info.version, version);
});

test('writes: valid, invalid, conflicts, media types, origins, sizes, rate limits', async () => {
  const json = { 'Content-Type': 'application/json' };
  const post = (body, opts = {}) => call({
    ...opts, method: 'POST', path: '/v1/responses', headers: { ...json, ...opts.headers }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const a = answer({ ts: new Date().toISOString(), comment: 'Fast', user: 'u-1', trigger: 'trial', page: '/billing', locale: 'fr', contact_ok: false, email: 'a@b.c', attributes: { plan: 'pro', seats: 12, beta: true } });
  assert.equal((await post(a)).status, 202);
  assert.equal((await post(a)).status, 202);  // a replay
  assert.equal((await post({ ...a, comment: 'Fast and simple', contact_ok: true })).status, 202);  // the follow-up
  assert.equal((await post({ ...a, score: 2 }, { expectValid: true })).status, 409);
  assert.equal((await post({ ...a, survey: 'other', page: '/x' })).status, 409);
  assert.equal((await post(answer({ type: 'shown', score: undefined }))).status, 202);
  assert.equal((await post({ ...answer({ type: 'dismissed' }), score: null, comment: null })).status, 202);
  assert.equal((await post(answer(), { headers: { 'Content-Type': 'text/plain;charset=UTF-8' } })).status, 202);
  assert.equal((await post(answer(), { headers: { Origin: ORIGIN } })).status, 202);
  assert.equal((await post(answer(), { headers: { Origin: 'https://evil.example' } })).status, 403);

  const invalid = [
    answer({ score: 11 }), answer({ score: 6.5 }), answer({ score: '9' }), answer({ score: undefined }),
    answer({ type: 'shown', score: 3 }), answer({ type: 'clicked' }), answer({ id: 'short' }), answer({ survey: '' }),
    answer({ ts: '2026-03-02 10:00' }), answer({ extra: 1 }), answer({ v: 2 }), { ...answer(), id: undefined },
    answer({ comment: 'x'.repeat(2001) }), answer({ user: 'a\u0001b' }), answer({ page: 'p'.repeat(513) }),
    answer({ contact_ok: 'yes' }), answer({ attributes: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) }),
    answer({ attributes: { 'bad key': 'v' } }), answer({ attributes: { plan: { nested: true } } }),
    answer({ attributes: { plan: 'v'.repeat(257) } }), [answer()],
  ];
  for (const body of invalid) {
    const r = await post(body, { expectValid: false });
    assert.equal(r.status, 400, JSON.stringify(body).slice(0, 200));
  }
  assert.equal((await post('{"v":1,', { expectValid: false })).status, 400);
  assert.equal((await post(answer(), { headers: { 'Content-Type': 'application/xml' }, expectValid: false })).status, 415);
  assert.equal((await post(answer(), { headers: { 'Content-Type': '' }, expectValid: false })).status, 415);
  assert.equal((await post(answer({ comment: 'x'.repeat(70000) }), { expectValid: null })).status, 413);

  // The rate limit: a bucket of one token, refilled every 100 s.
  const other = { 'X-Forwarded-For': '198.51.100.7' };
  assert.equal((await post(answer(), { server: limited, headers: other })).status, 202);
  const r = await post(answer(), { server: limited, headers: other });
  assert.equal(r.status, 429);
  assert.match(r.headers['retry-after'], /^\d+$/);
});

test('reads: pages, NDJSON, aggregates, streams, keys, slow-downs, CORS', async () => {
  const get = (p, opts = {}) => call({ ...opts, path: p, headers: { ...auth, ...opts.headers } });
  for (const p of ['/v1/responses', '/v1/responses?since=0&limit=2', '/v1/responses?since=&limit=10000', '/v1/responses?format=json',
    '/v1/responses?format=ndjson', `/v1/responses?access_token=${READ_KEY}`])
    assert.equal((await (p.includes('access_token') ? call({ path: p }) : get(p))).status, 200, p);
  const nd = await get('/v1/responses', { headers: { Accept: 'application/x-ndjson' } });
  assert.equal(nd.headers['content-type'], 'application/x-ndjson');
  assert.ok(nd.body.split('\n').filter(Boolean).length >= 5);
  assert.equal((await get('/v1/responses', { headers: { Origin: ORIGIN } })).headers['access-control-allow-origin'], ORIGIN);
  for (const p of ['/v1/responses?since=abc', '/v1/responses?limit=0', '/v1/responses?limit=10001', '/v1/responses?format=xml'])
    assert.equal((await get(p, { expectValid: false })).status, 400, p);
  assert.equal((await call({ path: '/v1/responses', expectValid: false })).status, 401);
  assert.equal((await call({ path: '/v1/responses', headers: { Authorization: 'Bearer wrong-key-0123456789' } })).status, 401);

  for (const p of ['/v1/aggregate', '/v1/aggregate?by=day&tz=%2B01:00&since=2026-01-01&until=2026-12-31',
    '/v1/aggregate?by=plan&where=plan%3Dpro&where=seats!%3D3&segment=promoter,passive', '/v1/aggregate?by=month&tz=-05:30&since=2026-01-01T00:00:00Z',
    '/v1/aggregate?by=survey&segment=none&where=plan%3D'])
    assert.equal((await get(p)).status, 200, p);
  // No rollup answers a != condition, and the limited collector may scan no row (it holds one): 422.
  const refused = await call({ server: limited, path: '/v1/aggregate?by=plan&where=plan!%3Dfree', headers: auth });
  assert.equal(refused.status, 422, refused.body);
  for (const p of ['/v1/aggregate?until=yesterday', '/v1/aggregate?tz=abc', '/v1/aggregate?segment=fans', '/v1/aggregate?where=nonsense',
    '/v1/aggregate?by=a%20b'])
    assert.equal((await get(p, { expectValid: false })).status, 400, p);

  // GET /v1/comments (the dashboard at scale): pages, filters, bad parameters.
  for (const p of ['/v1/comments', '/v1/comments?limit=2', '/v1/comments?limit=1&q=a&segment=promoter,passive&since=2026-01-01',
    '/v1/comments?where=plan%3Dpro&survey=product-nps&until=2026-12-31', '/v1/comments?before=9999999999999.zzzzzzzz'])
    assert.equal((await get(p)).status, 200, p);
  for (const p of ['/v1/comments?limit=0', '/v1/comments?before=x', '/v1/comments?since=yesterday'])
    assert.equal((await get(p, { expectValid: false })).status, 400, p);

  const s = await get('/v1/stream?since=0', { stream: true });
  assert.equal(s.status, 200);
  assert.match(s.body, /^data: \{/m);
  assert.equal((await get('/v1/stream', { headers: { 'Last-Event-ID': '1' }, stream: true })).status, 200);
  assert.equal((await get('/v1/stream', { headers: { 'Last-Event-ID': 'x' }, expectValid: false })).status, 400);
  assert.equal((await call({ path: '/v1/stream', expectValid: false })).status, 401);
  // --max-streams 2: two held open, the third is 503 too_many_streams (once the streams above are gone).
  for (let i = 0; i < 100; i += 1) {
    const m = await (await fetch(`${collector.base}/metrics`, { headers: auth })).text();
    if (/^npskit_stream_listeners 0$/m.test(m)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const held = [new AbortController(), new AbortController()];
  const opened = await Promise.all(held.map((ac) => fetch(`${collector.base}/v1/stream`, { headers: auth, signal: ac.signal })));
  assert.deepEqual(opened.map((o) => o.status), [200, 200]);
  const full = await get('/v1/stream');
  assert.equal(full.status, 503);
  assert.equal(full.headers['retry-after'], '5');
  for (const ac of held) ac.abort();

  // The read-key slow-down (--max-read-failures 1 on the limited collector), as another client.
  const other = { 'X-Forwarded-For': '203.0.113.5' };
  assert.equal((await call({ server: limited, path: '/v1/responses', headers: { ...other, Authorization: 'Bearer nope-nope-nope-nope' } })).status, 401);
  const slowed = await call({ server: limited, path: '/v1/responses', headers: { ...other, ...auth } });
  assert.equal(slowed.status, 429);
  assert.equal(JSON.parse(slowed.body).errors[0].code, 'too_many_failures');

  // Preflight: allowed, refused, and without an Origin (not a preflight).
  const preflight = { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' };
  for (const p of ['/v1/responses', '/v1/stream', '/v1/aggregate']) {
    assert.equal((await call({ method: 'OPTIONS', path: p, headers: preflight })).status, 204);
    assert.equal((await call({ method: 'OPTIONS', path: p, headers: { ...preflight, Origin: 'https://evil.example' } })).status, 403);
    assert.equal((await call({ method: 'OPTIONS', path: p })).status, 405);
  }
});

test('operations and files: healthz, metrics, static files, redirects, HEAD', async () => {
  assert.equal((await call({ path: '/healthz' })).status, 200);
  assert.equal((await call({ method: 'HEAD', path: '/healthz' })).status, 200);
  assert.equal((await call({ path: '/metrics', headers: auth })).status, 200);
  assert.equal((await call({ path: '/metrics', expectValid: false })).status, 401);
  for (const [p, status] of [['/', 200], ['/app.js', 200], ['/dashboard', 301], ['/dashboard/', 200], ['/examples', 301],
    ['/examples/saas-demo', 301], ['/examples/saas-demo/', 200], ['/examples/notes.txt', 200], ['/nope.js', 404], ['/examples/nope', 404]]) {
    const r = await call({ path: p });
    assert.equal(r.status, status, p);
    if (status === 301) assert.equal(r.headers.location, `${p}/`);
  }
  for (const p of ['/v1/responses', '/v1/aggregate', '/metrics', '/app.js'])
    assert.equal((await call({ method: 'HEAD', path: p, headers: auth })).status, 200, p);
});

test("the HTTP layer's refusals are documented too", async () => {
  const big = 'x'.repeat(9000);
  const cases = [
    [`GET /v1/responses?${big} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
    [`GET /v1/responses HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 101 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`, 431],
    [`GET /v1/responses HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(17000)}\r\n\r\n`, 431],
    ['POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 411],
    ['POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 400],
    ['GET /healthz HTTP/1.1\nHost: x\n\n', 400],
    ['GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', 400],
    ['POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n\r\n', 413],
  ];
  for (const [text, status] of cases) {
    const r = await raw(text);
    assert.equal(r.status, status, text.slice(0, 60));
    const [method, target] = text.split(' ');
    check(method, target.split('?')[0], { headers: {} }, r, null);
  }
  // --request-timeout 1: headers that never end.
  const slow = await raw('POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n', { waitMs: 1500 });
  assert.equal(slow.status, 408);
  check('POST', '/v1/responses', { headers: {} }, slow, null);
});

const webhooksLog = async (server = collector) => (await fetch(`${server.base}/v1/webhooks`, { headers: auth })).json();

test('webhooks: the delivery log, replay and re-enable with the admin key, admin off, the requests receivers get', async () => {
  const code = (r) => JSON.parse(r.body).errors[0].code;
  // The writes above made deliveries: endpoint 1 delivers them, endpoint 2 was disabled by its 410.
  await waitFor(async () => {
    const [one, two] = (await webhooksLog()).endpoints;
    return one.counts.delivered > 0 && two.state === 'disabled';
  }, 10000, 'a delivery on endpoint 1 and endpoint 2 disabled');
  const logged = await call({ path: '/v1/webhooks?limit=1000', headers: auth });
  assert.equal(logged.status, 200);
  const log = JSON.parse(logged.body);
  assert.deepEqual(log.endpoints.map((e) => [e.n, e.format, e.state]), [[1, 'standard', 'active'], [2, 'slack', 'disabled']]);
  assert.equal(log.endpoints[0].url, `${receiver.url}/hook`);
  assert.match(log.endpoints[1].disabled.reason, /410/);
  assert.ok(log.endpoints[1].deliveries.some((d) => d.status === 'pending' && d.last_status === 410));
  const delivered = log.endpoints[0].deliveries.find((d) => d.status === 'delivered');
  assert.ok(delivered, 'a delivered delivery in the log');
  deliveryId = delivered.id;
  const one = JSON.parse((await call({ path: '/v1/webhooks?limit=1', headers: auth })).body);
  assert.ok(one.endpoints.every((e) => e.deliveries.length <= 1));
  assert.equal((await call({ path: `/v1/webhooks?access_token=${READ_KEY}` })).status, 200);
  assert.equal((await call({ method: 'HEAD', path: '/v1/webhooks', headers: auth })).status, 200);
  assert.equal((await call({ path: '/v1/webhooks', headers: { ...auth, Origin: ORIGIN } })).headers['access-control-allow-origin'], ORIGIN);
  const noKey = await call({ path: '/v1/webhooks', expectValid: false });
  assert.equal(noKey.status, 401);
  assert.equal(code(noKey), 'unauthorized');
  assert.equal((await call({ path: '/v1/webhooks', headers: adminAuth })).status, 401, 'the admin key is not a read key');
  for (const p of ['/v1/webhooks?limit=0', '/v1/webhooks?limit=1001', '/v1/webhooks?limit=x']) {
    const r = await call({ path: p, headers: auth, expectValid: false });
    assert.equal(r.status, 400, p);
    assert.equal(code(r), 'bad_parameter', p);
  }

  // The admin routes: no key, the read key, a wrong key, the admin key in the query (header only).
  const admin = (p, headers, opts = {}) => call({ method: 'POST', path: p, headers, ...opts });
  for (const p of [`/v1/webhooks/${deliveryId}/replay`, '/v1/webhooks/endpoints/2/enable']) {
    for (const [headers, expectValid, query] of [[{}, false, ''], [auth, true, ''], [{ Authorization: 'Bearer wrong-admin-key-0123456' }, true, ''],
      [{}, false, `?access_token=${ADMIN_KEY}`]]) {
      const r = await admin(p + query, headers, { expectValid });
      assert.equal(r.status, 401, `${p}${query} ${JSON.stringify(headers)}`);
      assert.equal(code(r), 'admin_unauthorized');
      assert.equal(r.headers['www-authenticate'], 'Bearer');
    }
  }
  for (const [p, expectValid] of [['/v1/webhooks/999999999/replay', true], ['/v1/webhooks/abc/replay', false]]) {
    const r = await admin(p, adminAuth, { expectValid });
    assert.equal(r.status, 404, p);
    assert.equal(code(r), 'delivery_not_found', p);
  }
  for (const [p, expectValid] of [['/v1/webhooks/endpoints/7/enable', true], ['/v1/webhooks/endpoints/0/enable', true], ['/v1/webhooks/endpoints/x/enable', false]]) {
    const r = await admin(p, adminAuth, { expectValid });
    assert.equal(r.status, 404, p);
    assert.equal(code(r), 'endpoint_not_found', p);
  }
  const enabled = await admin('/v1/webhooks/endpoints/2/enable', adminAuth);
  assert.equal(enabled.status, 200);
  assert.deepEqual(JSON.parse(enabled.body), { n: 2, state: 'active' });
  await waitFor(() => receiver.requests.some((r) => r.name === 'slackMessage' && r.status === 200), 10000, 'a slack message after re-enabling');
  const replayed = await admin(`/v1/webhooks/${deliveryId}/replay`, adminAuth);
  assert.equal(replayed.status, 202);
  assert.deepEqual(JSON.parse(replayed.body), { id: deliveryId, status: 'pending' });
  await waitFor(() => receiver.requests.filter((r) => r.id === delivered.webhook_id).length >= 2, 10000, 'the replayed delivery');

  // Without --admin-key (the limited collector) the admin routes are off, whatever the key.
  for (const [p, headers, expectValid] of [['/v1/webhooks/1/replay', adminAuth, true], ['/v1/webhooks/1/replay', {}, false],
    ['/v1/webhooks/endpoints/1/enable', adminAuth, true]]) {
    const r = await admin(p, headers, { server: limited, expectValid });
    assert.equal(r.status, 403, p);
    assert.equal(code(r), 'admin_disabled', p);
  }
  assert.deepEqual(JSON.parse((await call({ server: limited, path: '/v1/webhooks', headers: auth })).body), { endpoints: [] });

  // Preflight, as on every /v1/ path.
  const preflight = { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' };
  for (const p of ['/v1/webhooks', `/v1/webhooks/${deliveryId}/replay`, '/v1/webhooks/endpoints/1/enable']) {
    assert.equal((await call({ method: 'OPTIONS', path: p, headers: preflight })).status, 204, p);
    assert.equal((await call({ method: 'OPTIONS', path: p, headers: { ...preflight, Origin: 'https://evil.example' } })).status, 403, p);
    assert.equal((await call({ method: 'OPTIONS', path: p })).status, 405, p);
  }

  // Survey definitions (tests/integration/surveys.test.mjs covers them; here: traffic against the spec).
  const json = { ...adminAuth, 'Content-Type': 'application/json' };
  const defn = JSON.stringify({ app: 'web', sample: 50, triggers: ['trial_ended'], texts: { follow_promoter: 'Why?' } });
  assert.equal((await call({ method: 'PUT', path: '/v1/surveys/openapi-nps', headers: json, body: defn })).status, 201);
  const got = await call({ path: '/v1/surveys/openapi-nps', headers: { Origin: ORIGIN } });
  assert.equal(got.status, 200);
  assert.equal((await call({ path: '/v1/surveys/openapi-nps', headers: { 'If-None-Match': got.headers.etag } })).status, 304);
  assert.equal((await call({ path: '/v1/surveys?app=web' })).status, 200);
  assert.equal((await call({ path: '/v1/surveys', headers: auth })).status, 200);
  assert.equal((await call({ path: '/v1/surveys/openapi-nps/versions', headers: auth })).status, 200);
  assert.equal(code(await call({ method: 'PUT', path: '/v1/surveys/openapi-nps', headers: { ...json, 'If-Match': '"stale"' }, body: defn })),
    'precondition_failed');
  assert.equal(code(await call({ method: 'PUT', path: '/v1/surveys/openapi-nps', headers: json, body: '{"sample":101}' })), 'out_of_range');
  assert.equal((await call({ path: '/v1/surveys/nope' })).status, 404);

  // What the receiver got: both formats, every request as the document's `webhooks` says.
  assert.ok(receiver.requests.some((r) => r.name === 'responseEvent' && JSON.parse(r.body).type === 'response.created'));
  assert.ok(receiver.requests.some((r) => r.name === 'responseEvent' && JSON.parse(r.body).type === 'response.updated'));
  assert.deepEqual(receiver.requests.flatMap((r) => r.problems), []);
});

test('follow-ups: PATCH with the admin key, its refusals, the list, preflight', async () => {
  const code = (r) => JSON.parse(r.body).errors[0].code;
  const a = answer({ score: 2, comment: 'call me', contact_ok: true, email: 'x@example.com' });
  const posted = await call({ method: 'POST', path: '/v1/responses', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(a) });
  assert.equal(posted.status, 202);
  followUpId = a.id;
  const json = { ...adminAuth, 'Content-Type': 'application/json' };
  const patchIt = (id, body, headers = json, expectValid = true) =>
    call({ method: 'PATCH', path: `/v1/responses/${id}/follow-up`, headers, body: typeof body === 'string' ? body : JSON.stringify(body), expectValid });
  const ok = await patchIt(a.id, { status: 'contacted', by: 'anna', note: 'left a message' });
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).status, 'contacted');
  for (const [body, valid] of [[{ status: 'done', by: 'anna' }, false], [{ status: 'todo' }, false], [{ status: 'todo', by: 'x'.repeat(65) }, false], ['[1]', false]]) {
    const r = await patchIt(a.id, body, json, valid);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(code(r), 'bad_follow_up');
  }
  const missing = await patchIt('no-such-answer-0001', { status: 'todo', by: 'anna' });
  assert.equal(missing.status, 404);
  assert.equal(code(missing), 'response_not_found');
  assert.equal((await patchIt(a.id, { status: 'todo', by: 'anna' }, { ...adminAuth, 'Content-Type': 'text/plain' }, false)).status, 415);
  const noKey = await patchIt(a.id, { status: 'todo', by: 'anna' }, { 'Content-Type': 'application/json' }, false);
  assert.equal(noKey.status, 401);
  assert.equal(code(noKey), 'admin_unauthorized');
  const off = await call({ server: limited, method: 'PATCH', path: `/v1/responses/${a.id}/follow-up`, headers: json, body: JSON.stringify({ status: 'todo', by: 'anna' }) });
  assert.equal(off.status, 403);
  assert.equal(code(off), 'admin_disabled');

  const list = await call({ path: '/v1/follow-ups?status=contacted', headers: auth });
  assert.equal(list.status, 200);
  assert.ok(JSON.parse(list.body).items.some((m) => m.id === a.id && m.by === 'anna'));
  assert.equal((await call({ path: `/v1/follow-ups?since=${encodeURIComponent(new Date(0).toISOString())}&limit=5`, headers: auth })).status, 200);
  assert.equal((await call({ method: 'HEAD', path: '/v1/follow-ups', headers: auth })).status, 200);
  assert.equal((await call({ path: '/v1/follow-ups?status=done', headers: auth, expectValid: false })).status, 400);
  assert.equal((await call({ path: '/v1/follow-ups', expectValid: false })).status, 401);
  const preflight = { Origin: ORIGIN, 'Access-Control-Request-Method': 'PATCH', 'Access-Control-Request-Headers': 'authorization, content-type' };
  for (const p of [`/v1/responses/${a.id}/follow-up`, '/v1/follow-ups']) {
    const r = await call({ method: 'OPTIONS', path: p, headers: preflight });
    assert.equal(r.status, 204, p);
    assert.match(r.headers['access-control-allow-methods'], /PATCH/);
    assert.equal((await call({ method: 'OPTIONS', path: p, headers: { ...preflight, Origin: 'https://evil.example' } })).status, 403, p);
  }
});

test('every documented operation answers; every answered path and method is documented', async () => {
  const concrete = (p) => p.replace('/examples/{file}', '/examples/notes.txt').replace('/{file}', '/app.js')
    .replace('{id}', deliveryId).replace('{n}', '1').replace('{response_id}', followUpId)
    .replace('{survey}', 'openapi-nps');
  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
  for (const [p, item] of Object.entries(spec.paths)) {
    for (const m of methods) {
      if (!item[m.toLowerCase()]) continue;
      const admin = (item[m.toLowerCase()].security ?? []).some((s) => 'adminKey' in s);
      const putJson = m === 'PUT' ? { 'Content-Type': 'application/json' } : {};  // a survey definition
      const headers = m === 'OPTIONS' ? { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET' }
        : m === 'PATCH' ? { ...adminAuth, 'Content-Type': 'application/json' } : admin ? { ...adminAuth, ...putJson }
          : m === 'POST' ? { 'Content-Type': 'application/json' } : auth;
      const body = m === 'POST' && !admin ? JSON.stringify(answer()) : m === 'PATCH' ? JSON.stringify({ status: 'todo', by: 'openapi' })
        : m === 'PUT' ? '{}' : undefined;
      const r = await call({ method: m, path: concrete(p), headers, body, stream: p === '/v1/stream' });
      assert.ok(![404, 405].includes(r.status), `${m} ${p} is documented but answers ${r.status}`);
    }
  }
  // Probes: the documented paths with every method, and paths nobody documented.
  const probes = [...Object.keys(spec.paths).map(concrete), '/v1', '/v1/', '/v1/nope', '/v1/responses/1', '/v1/webhooks',
    '/v1/admin', '/v2/responses', '/admin', '/metrics/', '/healthz/x', '/api/v1/responses', '/debug', '/.env'];
  for (const p of probes) {
    for (const m of methods) {
      const body = ['POST', 'PUT', 'PATCH'].includes(m) ? '' : undefined;  // Content-Length: 0
      await call({ method: m, path: p, headers: { ...auth }, body, expectValid: null, stream: p === '/v1/stream' });
    }
  }
  // Every collector code the test could provoke was seen in a documented answer.
  const all = spec.components.schemas.CollectorErrorCode.enum;
  const notProvoked = ['unavailable', 'too_many_connections'];  // a failing disk; 16,384 sockets
  assert.deepEqual(all.filter((c) => !observedCodes.has(c) && !notProvoked.includes(c)), []);
});
