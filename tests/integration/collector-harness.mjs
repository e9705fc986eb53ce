// Starts and stops real npskit-collector processes for the integration tests.
// Binary: $NPSKIT_BUILD_NATIVE/npskit-collector (default build-native, relative to the repo).
import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const buildNative = path.resolve(repoRoot, process.env.NPSKIT_BUILD_NATIVE || 'build-native');
export const collectorBinary = path.join(buildNative, 'npskit-collector');
export const cliBinary = path.join(buildNative, 'npskit');
export const READ_KEY = 'test-read-key-0123';

export function tempDir(prefix = 'npskit-collector-') {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

// Resolves once the collector logged its "listening" line (with the port it chose).
export function startCollector({ db, args = [], readKey = READ_KEY, env = {}, binary = collectorBinary } = {}) {
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: build it (cmake --build ${buildNative}) or set NPSKIT_BUILD_NATIVE`);
  }
  const dir = db ? null : tempDir();
  const dbPath = db ?? path.join(dir, 'data', 'npskit.db');
  const argv = ['--port', '0', '--db', dbPath, ...(readKey ? ['--read-key', readKey] : []), ...args];
  const child = spawn(binary, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  const logs = [];
  let buffered = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`collector did not start in 60 s; logs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
    }, 60000);  // generous: only a failing start waits this long, and a loaded machine is slow
    let started = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let line;
        try { line = JSON.parse(text); } catch { line = { text }; }
        logs.push(line);
        if (!started && line.msg === 'listening') {
          started = true;
          clearTimeout(timer);
          const port = line.port;
          const base = `http://127.0.0.1:${port}`;
          const exited = new Promise((res) => {
            if (child.exitCode !== null || child.signalCode !== null) res({ code: child.exitCode, signal: child.signalCode });
            else child.once('exit', (code, signal) => res({ code, signal }));
          });
          resolve({
            child, port, base, logs, dbPath, dir, readKey: line.read_key === '(from --read-key)' ? readKey : line.read_key,
            exited,
            async stop() {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
              return exited;
            },
            async kill9() {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
              return exited;
            },
            cleanup() { if (dir) removeDir(dir); },
          });
        }
      }
    });
    child.once('exit', (code, signal) => {
      if (!started) {
        clearTimeout(timer);
        reject(new Error(`collector exited (${code ?? signal}) before listening:\n${logs.map((l) => JSON.stringify(l)).join('\n')}${buffered}`));
      }
    });
  });
}

// Runs the binary with arguments that should make it exit; resolves {code, stderr}.
export function runToExit(binary, args, { timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${binary} ${args.join(' ')} did not exit`)); }, timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

let counter = 0;
export function newId(prefix = 'test') {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export function answer(overrides = {}) {
  return { v: 1, id: newId(), survey: 'product-nps', score: 9, ts: '2026-03-02T10:00:00Z', ...overrides };
}

export async function post(base, body, { contentType = 'application/json', headers = {} } = {}) {
  const res = await fetch(`${base}/v1/responses`, {
    method: 'POST',
    headers: { ...(contentType ? { 'Content-Type': contentType } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, json, text };
}

export async function readAll(base, readKey, { since = 0, limit = 1000 } = {}) {
  const items = [];
  let cursor = since;
  for (;;) {
    const res = await fetch(`${base}/v1/responses?since=${cursor}&limit=${limit}`, { headers: { Authorization: `Bearer ${readKey}` } });
    if (res.status !== 200) throw new Error(`GET /v1/responses: ${res.status} ${await res.text()}`);
    const page = await res.json();
    items.push(...page.items);
    if (page.items.length === 0) return { items, cursor: Number(page.next) };
    cursor = page.next;
  }
}

// Reads a Server-Sent Events body (a fetch response's body) and calls onEvent({id, event, data})
// for each event that carries data; comment lines (keep-alives) are skipped. Ends with the body.
export async function readSseEvents(body, onEvent) {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    let sep;
    while ((sep = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, sep);
      buf = buf.slice(sep + 2);
      const ev = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        ev[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
      }
      if (ev.data !== undefined) onEvent({ id: ev.id === undefined ? null : Number(ev.id), event: ev.event, data: ev.data });
    }
  }
}

// Polls `check` (sync or async) every 50 ms until it returns something truthy, which it returns;
// throws after timeoutMs, naming `what`.
export async function waitFor(check, timeoutMs, what) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
