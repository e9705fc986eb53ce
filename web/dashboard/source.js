// npskit dashboard page glue, linked in front of dashboard.js (--pre-js).
// [X] data sources: picked or dropped files, any URL (JSON array / NDJSON / CSV), the collector
//     (paged GET /v1/responses, then /v1/stream read with fetch: the key in a header, never a URL;
//     reconnect with backoff, resume by Last-Event-ID)
// [X] bytes are queued here and pulled by the wasm side in chunks, a budget per frame, so long
//     loads never block a frame; all parsing and scoring happens in C++ (never here)
// [X] canvas sized to CSS size × devicePixelRatio; clipboard; downloads through a Blob
// [X] window.npskitDashboard: state() for tests, benchmark hooks
// [X] touch: a tap is one click at the touch point, a vertical drag scrolls (Emscripten's GLFW
//     reads no position from touch events, and compatibility mouse events would click twice)
var NpskitWeb = {
  load: null,        // {id, kind, name, total, received, ended, error}
  loadSeq: 0,
  chunks: [],        // Uint8Array queue of the current load
  chunkOffset: 0,    // bytes of chunks[0] already pulled
  events: [],        // live SSE payloads (JSON text), oldest first
  live: { state: 0, attempt: 0, retryAt: 0, cursor: '', base: '', key: '', stream: null, timer: 0 },
  clipboard: '',
  ready: false,      // set by main() once the app runs
  hashChanged: true, // the first poll reads the initial hash
  inputAt: 0,        // performance.now() of the last input event: the app draws frames while input comes
  encoder: new TextEncoder(),

  // ---- loads ---------------------------------------------------------------------------
  beginLoad(kind, name, total) {
    if (this.load) this.stopReading(this.load);  // a new source replaces the old one at once
    this.load = { id: ++this.loadSeq, kind, name, total, received: 0, ended: false, error: '' };
    this.chunks = [];
    this.chunkOffset = 0;
    return this.load;
  },
  push(load, bytes) {
    if (load !== this.load || load.cancelled || !bytes.length) return;
    this.chunks.push(bytes);
    load.received += bytes.length;
    this.schedulePump();
  },
  // Imports between frames too: a task per ~40 ms slice while bytes wait (a MessageChannel
  // task, not setTimeout, which clamps to 4 ms after a few nested calls).
  pumpChannel: null,
  pumpQueued: false,
  schedulePump() {
    if (this.pumpQueued || !this.ready) return;
    if (!this.pumpChannel) {
      this.pumpChannel = new MessageChannel();
      this.pumpChannel.port1.onmessage = () => {
        this.pumpQueued = false;
        if (Module['_npskit_pump'](40) && this.chunks.length) this.schedulePump();
      };
    }
    this.pumpQueued = true;
    this.pumpChannel.port2.postMessage(0);
  },
  end(load) { if (load === this.load) { load.ended = true; this.schedulePump(); } },
  fail(load, message) { if (load === this.load) { load.error = message; load.ended = true; } },
  // Closes the load's connection even when its body has stalled (no read would ever return).
  stopReading(load) {
    load.cancelled = true;
    if (load.worker) { load.worker.terminate(); load.worker = null; }
  },
  // The app gave up on load `id` (not NPS data, or replaced by demo data): stop reading it,
  // drop what is queued.
  cancel(id) {
    if (!this.load || this.load.id !== id) return;
    this.stopReading(this.load);
    this.chunks = [];
    this.chunkOffset = 0;
  },
  // Files and URLs are read in a worker: there, reading never waits for a frame that is busy
  // importing, so the browser's delivery (~1 s for 274 MB here) overlaps the import instead of
  // adding to it. The worker reads with a BYOB reader into 2 MB buffers and hands each one over
  // (transferred, not copied); it pauses while more than 16 MB wait here unread.
  openFile(file) {
    this.stopLive();
    this.readInWorker(this.beginLoad(1, file.name, file.size), file);
  },
  openUrl(url) {
    this.stopLive();
    let absolute = url;
    try { absolute = new URL(url, location.href).href; } catch (e) {}
    this.readInWorker(this.beginLoad(2, url, 0), absolute);
  },
  readInWorker(load, source) {
    const what = typeof source === 'string' ? 'load ' + load.name : 'read ' + load.name;
    let worker;
    try {
      worker = new Worker(URL.createObjectURL(new Blob(['(' + npskitReader.toString() +
        ')(postMessage, (receive) => { onmessage = (e) => receive(e.data); })'], { type: 'text/javascript' })));
    } catch (e) {  // a Content-Security-Policy without blob: workers, say: read in the page
      this.readInPage(load, source, what);
      return;
    }
    load.reader = 'worker';
    let heard = false;
    worker.onmessage = (e) => { heard = true; this.fromReader(load, worker, what, e.data); };
    worker.onerror = (e) => {
      e.preventDefault();
      worker.terminate();
      load.worker = null;
      if (load !== this.load || load.cancelled) return;
      if (!heard) this.readInPage(load, source, what);  // the worker never started
      else this.fail(load, 'Could not ' + what + ': ' + (e.message || 'reader failed'));
    };
    this.startReader(load, worker, source);
  },
  // The fallback: the same reader run on the main thread (its reads then wait for frames).
  readInPage(load, source, what) {
    load.reader = 'page';
    let toReader = null;
    const port = { postMessage: (m) => toReader(m), terminate: () => toReader({ stop: true }) };
    npskitReader((m) => this.fromReader(load, port, what, m), (receive) => { toReader = receive; });
    this.startReader(load, port, source);
  },
  startReader(load, reader, source) {
    load.worker = reader;
    reader.postMessage({ source, highWater: 16 << 20 });
  },
  fromReader(load, reader, what, m) {
    if (load !== this.load || load.cancelled) return;
    if (m.total) load.total = m.total;
    if (m.bytes) this.push(load, new Uint8Array(m.bytes));
    if (m.error) this.fail(load, 'Could not ' + what + ': ' + m.error);
    else if (m.done) this.end(load);
    if (m.done || m.error) { reader.terminate(); load.worker = null; }
  },
  async openCollector(base, key) {
    this.stopLive();
    base = base.replace(/\/+$/, '');
    const load = this.beginLoad(3, base || location.origin, 0);
    const headers = key ? { Authorization: 'Bearer ' + key } : {};
    this.collector = { base, headers };
    if (await this.openAggregate(load, base, headers)) return;
    const limit = 10000;  // the collector's largest page (docs/http-api.md): fewer round trips
    let cursor = '';
    try {
      for (let page = 0; page < 100000; ++page) {
        const url = base + '/v1/responses?format=ndjson&limit=' + limit + (cursor ? '&since=' + encodeURIComponent(cursor) : '');
        const res = await fetch(url, { headers });
        if (res.status === 401 || res.status === 403) throw new Error('HTTP ' + res.status + ': the read key is missing or wrong (#key=…)');
        if (!res.ok) throw new Error('HTTP ' + res.status);
        const body = new Uint8Array(await res.arrayBuffer());
        if (load !== this.load) return;
        let lines = 0;
        for (let i = 0; i < body.length; ++i) if (body[i] === 10) ++lines;
        if (body.length && body[body.length - 1] !== 10) { ++lines; this.push(load, body); this.push(load, new Uint8Array([10])); }
        else this.push(load, body);
        const next = res.headers.get('X-Next-Cursor') || '';
        const moved = next && next !== cursor;
        if (next) cursor = next;
        if (!moved || lines < limit) break;
      }
      this.end(load);
      this.startLive(base, key, cursor);
    } catch (e) {
      this.fail(load, 'Could not load from the collector ' + (base || location.origin) + ': ' + e.message);
    }
  },
  // ---- the aggregate path (issue 14) ----------------------------------------------------
  // Above `rowsLimit` answers the collector sends no rows: one cheap total first, then the app
  // asks for histograms and comment pages (request / takeResponse). The line is 200,000
  // answers (BENCHMARKS.md "Dashboard at scale": where downloading rows stops opening within
  // about a second); #rows_limit=N in the URL moves it (tests, benchmarks; 0 = always rows).
  rowsLimit: 200000,
  requests: new Map(),  // id → {done, ok, text}
  requestSeq: 0,
  readRowsLimit() {
    const m = /(?:^#|&)rows_limit=(\d+)/.exec(location.hash);
    if (m) this.rowsLimit = Number(m[1]);
  },
  async openAggregate(load, base, headers) {
    if (!this.rowsLimit) return false;
    let answers = 0;
    try {
      const res = await fetch(base + '/v1/aggregate?by=survey', { headers });
      if (!res.ok) return false;  // the row path says what is wrong (a key, say)
      const total = (await res.json()).total;
      answers = total.histogram.reduce((a, b) => a + b, 0);
    } catch (e) {
      return false;
    }
    if (load !== this.load || answers <= this.rowsLimit) return false;
    load.aggregate = true;
    load.answers = answers;
    this.end(load);  // no bytes: the figures come through request()
    return true;
  },
  request(path) {
    const id = ++this.requestSeq;
    const entry = { done: false, ok: false, text: '' };
    this.requests.set(id, entry);
    const c = this.collector || { base: '', headers: {} };
    fetch(c.base + path, { headers: c.headers }).then(async (res) => {
      entry.text = await res.text();
      entry.ok = res.ok;
      if (!res.ok) entry.text = 'HTTP ' + res.status + ' for ' + path.split('?')[0] + ': ' + entry.text.slice(0, 200);
    }).catch((e) => { entry.text = e.message || String(e); }).finally(() => { entry.done = true; this.schedulePump(); });
    return id;
  },
  takeResponse(id, ptr, cap) {
    const entry = this.requests.get(id);
    if (!entry) return 0;  // unknown: an empty error
    if (!entry.done) return -1;
    const n = this.writeString((entry.ok ? '1' : '0') + entry.text, ptr, cap);
    if (n >= 0) this.requests.delete(id);
    return n;
  },
  // Copies up to `cap` queued bytes to wasm memory. >0 bytes, 0 wait, -1 ended, -2 failed.
  pull(ptr, cap) {
    const load = this.load;
    if (!load) return 0;
    let n = 0;
    while (n < cap && this.chunks.length) {
      const c = this.chunks[0];
      const take = Math.min(cap - n, c.length - this.chunkOffset);
      HEAPU8.set(c.subarray(this.chunkOffset, this.chunkOffset + take), ptr + n);
      n += take;
      this.chunkOffset += take;
      if (this.chunkOffset === c.length) {
        this.chunks.shift();
        this.chunkOffset = 0;
        // Back to the worker for its next read: fresh pages cost ~3 ms a MB to touch on a
        // virtual machine like CI's, more than the copy itself.
        if (load.worker && c.byteLength === c.buffer.byteLength) load.worker.postMessage({ spare: c.buffer }, [c.buffer]);
      }
    }
    if (n) {
      load.pulled = (load.pulled || 0) + n;
      if (load.worker && load.pulled - (load.acked || 0) >= 4 << 20) { load.acked = load.pulled; load.worker.postMessage({ pulled: load.pulled }); }
      return n;
    }
    if (load.ended) return load.error ? -2 : -1;
    return 0;
  },

  // ---- live updates ----------------------------------------------------------------------
  startLive(base, key, cursor) {
    const L = this.live;
    Object.assign(L, { base, key, cursor, attempt: 0 });
    this.connect();
  },
  // The stream is read with fetch, not EventSource, so the read key travels in an Authorization
  // header and never in a URL a proxy or the collector logs; the cursor goes as Last-Event-ID.
  // text/event-stream is parsed here (data/id/event fields, comments, CR/LF/CRLF line ends);
  // a line longer than 1 MB fails the stream like a network error (then backoff and resume).
  connect() {
    const L = this.live;
    this.closeStream();
    L.state = 1;  // connecting
    const ctl = new AbortController();
    L.stream = ctl;
    const headers = { Accept: 'text/event-stream' };
    if (L.key) headers.Authorization = 'Bearer ' + L.key;
    if (L.cursor) headers['Last-Event-ID'] = L.cursor;
    const failed = () => {
      if (L.stream !== ctl) return;
      ctl.abort();
      L.stream = null;
      L.attempt += 1;
      const delay = Math.min(30000, 500 * 2 ** (L.attempt - 1)) * (0.8 + 0.4 * Math.random());
      L.state = 3;  // reconnecting
      L.retryAt = performance.now() + delay;
      L.timer = setTimeout(() => this.connect(), delay);
    };
    fetch(L.base + '/v1/stream', { headers, signal: ctl.signal, cache: 'no-store' }).then(async (res) => {
      if (L.stream !== ctl) return;
      if (!res.ok || !res.body) return failed();
      L.state = 2;
      L.attempt = 0;
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = '', data = [], id = null;
      const line = (text) => {
        if (text === '') {  // end of an event
          if (id !== null) L.cursor = id;
          if (data.length) this.events.push(data.join('\n'));
          data = [];
          id = null;
          return;
        }
        if (text[0] === ':') return;  // a comment (keep-alive)
        const colon = text.indexOf(':');
        const field = colon < 0 ? text : text.slice(0, colon);
        let value = colon < 0 ? '' : text.slice(colon + 1);
        if (value[0] === ' ') value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'id' && value.indexOf('\0') < 0) id = value;
      };
      for (;;) {
        const { value, done } = await reader.read();
        if (L.stream !== ctl) return;
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let at = 0;
        for (;;) {
          const cr = buf.indexOf('\r', at), lf = buf.indexOf('\n', at);
          const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
          if (end < 0 || (end === cr && end === buf.length - 1)) break;  // a CR may be half a CRLF
          line(buf.slice(at, end));
          at = end + (buf[end] === '\r' && buf[end + 1] === '\n' ? 2 : 1);
        }
        buf = buf.slice(at);
        if (buf.length > (1 << 20)) break;
      }
      failed();  // the collector closed the stream (restart, deploy): resume from the cursor
    }).catch(failed);
  },
  closeStream() {
    const L = this.live;
    if (L.stream) L.stream.abort();
    clearTimeout(L.timer);
    L.stream = null;
  },
  stopLive() {
    this.closeStream();
    this.live.state = 0;
    this.events = [];
  },
  // Next live payload into wasm memory: its length, 0 when none, -needed when cap is too small.
  pullEvent(ptr, cap) {
    if (!this.events.length) return 0;
    const bytes = this.encoder.encode(this.events[0]);
    if (bytes.length + 1 > cap) return -(bytes.length + 1);
    HEAPU8.set(bytes, ptr);
    HEAPU8[ptr + bytes.length] = 0;
    this.events.shift();
    return bytes.length;
  },

  // ---- page ------------------------------------------------------------------------------
  // ---- follow-up statuses (issue 15) ----------------------------------------------------------
  // The collector's (read key to list, admin key to PATCH: in the Authorization header, never a
  // URL), or kept in this browser's localStorage for other sources. Answers are queued for wasm.
  followUps: [],
  followUpRequest(op, base, key, id, body) {
    base = (base || '').replace(/\/+$/, '');
    const patch = op === 'patch';
    const url = base + (patch ? '/v1/responses/' + encodeURIComponent(id) + '/follow-up' : '/v1/follow-ups');
    const init = { method: patch ? 'PATCH' : 'GET', headers: { Authorization: 'Bearer ' + key }, cache: 'no-store' };
    if (patch) { init.headers['Content-Type'] = 'application/json'; init.body = body; }
    const answer = (status, text) => this.followUps.push(JSON.stringify({ op, id, status, body: text }));
    fetch(url, init).then(async (res) => answer(res.status, await res.text())).catch(() => answer(0, ''));
  },
  pullFollowUp(ptr, cap) {
    if (!this.followUps.length) return -1;
    const n = this.writeString(this.followUps[0], ptr, cap);
    if (n >= 0) this.followUps.shift();
    return n;
  },
  pageFollowUps(source) {
    try { return localStorage.getItem('npskit.follow-up.' + source) || ''; } catch (e) { return ''; }
  },
  keepPageFollowUps(source, json) {
    try { localStorage.setItem('npskit.follow-up.' + source, json); } catch (e) { /* storage disabled: this page only */ }
  },
  // ---- survey editor (issue 16) --------------------------------------------------------------
  // One request to the collector per call; the key only in the Authorization header. Answers
  // wait here for wasm as {"status","etag","body"} (status 0: no answer).
  calls: new Map(),  // id → {done, text}
  callSeq: 0,
  collectorCall(method, base, path, key, ifMatch, actor, body) {
    const id = ++this.callSeq;
    const entry = { done: false, text: '' };
    this.calls.set(id, entry);
    const headers = {};
    if (key) headers.Authorization = 'Bearer ' + key;
    if (ifMatch) headers['If-Match'] = ifMatch;
    // A header carries Latin-1 only: a name outside it goes unsaid rather than failing the save.
    if (actor && /^[\x20-\x7e\xa0-\xff]*$/.test(actor)) headers['X-Npskit-Actor'] = actor;
    const init = { method, headers, cache: 'no-store' };
    if (method === 'PUT') { headers['Content-Type'] = 'application/json'; init.body = body; }
    const answer = (status, etag, text) => { entry.text = JSON.stringify({ status, etag, body: text }); entry.done = true; };
    fetch((base || '').replace(/\/+$/, '') + path, init)
      .then(async (res) => answer(res.status, res.headers.get('ETag') || '', await res.text()))
      .catch(() => answer(0, '', ''));
    return id;
  },
  takeCall(id, ptr, cap) {
    const entry = this.calls.get(id);
    if (!entry) return this.writeString('null', ptr, cap);
    if (!entry.done) return -1;
    const n = this.writeString(entry.text, ptr, cap);
    if (n >= 0) this.calls.delete(id);
    return n;
  },
  // The preview: an iframe over the canvas (preview.html, same origin) that loads the real
  // widget bundle (widget/npskit.js + npskit.wasm, copied beside the dashboard) with the draft as
  // its config and shows it at once. Each valid draft reloads it (the widget reads its config
  // once); preview.html reads the draft from here (parent.NpskitWeb.preview.config).
  preview: { frame: null, config: '{}', seq: 0, shown: false },
  previewFrame() {
    const P = this.preview;
    if (!P.frame) {
      P.frame = document.createElement('iframe');
      P.frame.id = 'npskit-preview';
      P.frame.title = 'Preview of the survey prompt';
      P.frame.style.cssText = 'position:fixed;display:none;border:0;margin:0;padding:0;background:transparent;color-scheme:normal';
      document.body.appendChild(P.frame);
    }
    return P.frame;
  },
  previewDefinition(json) {
    const P = this.preview;
    P.config = json;
    this.previewFrame().src = 'preview.html?' + (++P.seq);
  },
  placePreview(shown, x, y, w, h) {
    const f = this.previewFrame(), dpr = window.devicePixelRatio || 1;
    this.preview.shown = !!shown;
    f.style.display = shown && w > 0 && h > 0 ? 'block' : 'none';
    if (!shown) return;
    const place = { left: x / dpr + 'px', top: y / dpr + 'px', width: w / dpr + 'px', height: h / dpr + 'px' };
    if (place.left === f.style.left && place.top === f.style.top && place.width === f.style.width && place.height === f.style.height) return;
    Object.assign(f.style, place);
  },
  writeString(text, ptr, cap) {  // NUL-terminated; -needed when cap is too small
    const bytes = this.encoder.encode(text);
    if (bytes.length + 1 > cap) return -(bytes.length + 1);
    HEAPU8.set(bytes, ptr);
    HEAPU8[ptr + bytes.length] = 0;
    return bytes.length;
  },
  fitCanvas() {
    const c = Module.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr)), h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    return dpr;
  },
  download(name, mime, bytes) {
    const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  },
  pickFile() { document.getElementById('npskit-file').click(); },
  setup() {
    Module.canvas = document.getElementById('canvas');
    const input = document.getElementById('npskit-file');
    input.addEventListener('change', () => { if (input.files[0]) this.openFile(input.files[0]); input.value = ''; });
    window.addEventListener('dragover', (e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; });
    window.addEventListener('drop', (e) => {
      e.preventDefault();
      if (e.dataTransfer.files[0]) this.openFile(e.dataTransfer.files[0]);
    });
    window.addEventListener('hashchange', () => { this.hashChanged = true; this.readRowsLimit(); });
    this.readRowsLimit();
    for (const type of ['pointermove', 'pointerdown', 'pointerup', 'mousemove', 'mousedown', 'mouseup', 'wheel', 'keydown', 'keyup',
      'touchstart', 'touchmove', 'touchend', 'focus', 'blur', 'resize', 'paste', 'visibilitychange'])
      window.addEventListener(type, () => { this.inputAt = performance.now(); }, { capture: true, passive: true });
    // ImGui asks for the clipboard on Ctrl+V's keydown; the paste event lands before the
    // next frame, so the text is here by the time ImGui reads it.
    window.addEventListener('paste', (e) => { this.clipboard = e.clipboardData.getData('text') || ''; });
    Module.canvas.addEventListener('contextmenu', (e) => e.preventDefault());
    this.setupTouch(Module.canvas);
  },
  setupTouch(c) {
    let touch = null;  // {id, y, startX, startY, moved, acc}
    const find = (e) => touch && [...e.changedTouches].find((t) => t.identifier === touch.id);
    const mouse = (type, t, buttons) => c.dispatchEvent(new MouseEvent(type, { clientX: t.clientX, clientY: t.clientY,
      screenX: t.screenX, screenY: t.screenY, button: 0, buttons, bubbles: true, cancelable: true, view: window }));
    const own = (e) => { e.preventDefault(); e.stopImmediatePropagation(); };  // before GLFW's listeners
    c.addEventListener('touchstart', (e) => {
      own(e);
      if (touch) return;
      const t = e.changedTouches[0];
      touch = { id: t.identifier, y: t.clientY, startX: t.clientX, startY: t.clientY, moved: false, acc: 0 };
      mouse('mousemove', t, 0);  // hover first, so ImGui sees the pointer where the finger is
    }, { capture: true, passive: false });
    c.addEventListener('touchmove', (e) => {
      own(e);
      const t = find(e);
      if (!t) return;
      if (Math.hypot(t.clientX - touch.startX, t.clientY - touch.startY) > 10) touch.moved = true;
      if (touch.moved) {
        // ImGui scrolls ~5 lines (75 CSS px) a wheel notch; the C++ side reads 100 px as a notch.
        touch.acc += touch.y - t.clientY;
        if (Math.abs(touch.acc) >= 15) {
          c.dispatchEvent(new WheelEvent('wheel', { deltaY: touch.acc * 100 / 75, deltaMode: 0, clientX: t.clientX,
            clientY: t.clientY, bubbles: true, cancelable: true }));
          touch.acc = 0;
        }
      }
      touch.y = t.clientY;
    }, { capture: true, passive: false });
    const end = (e) => {
      own(e);
      const t = find(e);
      if (!t) return;
      if (!touch.moved && e.type === 'touchend') {
        mouse('mousedown', t, 1);
        setTimeout(() => mouse('mouseup', t, 0), 80);  // ImGui 1.86 samples the button once a frame
      }
      touch = null;
    };
    c.addEventListener('touchend', end, { capture: true, passive: false });
    c.addEventListener('touchcancel', end, { capture: true, passive: false });
  },
};
// The reader of files and URLs: a Blob worker's body (this function's text: one bundle, no
// second file to serve), or run in the page when workers are forbidden. post(message, transfer)
// goes to the page; listen(receive) takes the page's messages: {source, highWater} starts,
// {spare} gives a read buffer back, {pulled} says how far the page has read, {stop} ends it (in
// the page; a worker is terminated). Posts {total}, then {bytes} buffers, then {done} or {error}.
function npskitReader(post, listen) {
  let pulled = 0, wake = null, stopped = false, abort = null;
  const spares = [];  // buffers the page has read, given back for reuse
  listen(async (m) => {
    if (m.stop) { stopped = true; if (abort) abort.abort(); if (wake) wake(); return; }
    if (m.spare) { if (m.spare.byteLength === 2 << 20) spares.push(m.spare); return; }
    if (m.pulled !== undefined) { pulled = m.pulled; if (wake) wake(); return; }
    let reader = null;
    try {
      let stream = m.source, total = 0;
      if (typeof stream === 'string') {
        abort = new AbortController();
        const res = await fetch(stream, { signal: abort.signal });
        if (!res.ok) throw new Error('HTTP ' + res.status);
        total = Number(res.headers.get('content-length')) || 0;
        stream = res.body;
      } else {
        total = stream.size;
        stream = stream.stream();
      }
      post({ total });
      let byob = null;
      try { reader = byob = stream.getReader({ mode: 'byob' }); } catch (err) { reader = stream.getReader(); }
      const size = 2 << 20;  // (the spares' size too)
      let buffer = new ArrayBuffer(size), filled = 0, sent = 0, last = Date.now();
      const flush = () => {
        if (!filled) return;
        const out = filled === size ? buffer : buffer.slice(0, filled);
        post({ bytes: out }, [out]);
        sent += filled;
        buffer = spares.pop() || new ArrayBuffer(size);
        filled = 0;
        last = Date.now();
      };
      for (;;) {
        while (sent - pulled > m.highWater && !stopped) await new Promise((ok) => { wake = ok; });
        wake = null;
        if (stopped) { reader.cancel().catch(() => {}); return; }
        let r;
        if (byob) {
          r = await byob.read(new Uint8Array(buffer, filled, size - filled));
          if (r.value) { buffer = r.value.buffer; filled += r.value.length; }
        } else {
          r = await reader.read();
          for (let v = r.value, at = 0; v && at < v.length;) {  // copy into the 2 MB buffers
            const take = Math.min(size - filled, v.length - at);
            new Uint8Array(buffer, filled, take).set(v.subarray(at, at + take));
            filled += take;
            at += take;
            if (filled === size) flush();
          }
        }
        if (stopped) { reader.cancel().catch(() => {}); return; }
        if (r.done) break;
        // Full, or the source trickles (a short read, or 50 ms since the last hand-over): hand
        // over what came, so a slow or stalled body still shows its bytes.
        if (filled === size || (r.value && r.value.length < 32768) || Date.now() - last > 50) flush();
      }
      flush();
      post({ done: true });
    } catch (err) {
      if (!stopped) post({ error: err.message || String(err) });
    }
  });
}
NpskitWeb.setup();

window.npskitDashboard = {
  // The current figures as the C++ report computes them (never recomputed here).
  state() {
    if (!NpskitWeb.ready) return { ready: false };
    return JSON.parse(UTF8ToString(Module['_npskit_state_json']()));
  },
  // The load's progress ({phase, bytes, records, seconds, …, rows}) without re-scoring: polling
  // state() during a long load would re-score on every call and slow the load down.
  loadStatus() {
    if (!NpskitWeb.ready) return { ready: false };
    return Object.assign({ ready: true }, JSON.parse(UTF8ToString(Module['_npskit_load_json']())));  // no spread: Emscripten 3.1.6's JS optimizer predates it
  },
  // Benchmarks: load `rows` synthetic responses in wasm; time a full re-score.
  demo(rows) { Module['_npskit_load_demo'](rows); },
  rescoreMs() { return Module['_npskit_rescore_ms'](); },
  // Frames drawn so far: input held until this moves is seen by ImGui (tests).
  framesDrawn() { return NpskitWeb.ready ? Module['_npskit_frames_drawn']() : 0; },
  // Scrolls the follow-up panel into view (tests, screenshots).
  showFollowUp() { Module['_npskit_show_follow_up'](); },
  // The column-mapping step's choice (column indexes, -1 = none), as the modal would apply it.
  map({ score = -1, ts = -1, comment = -1 }) { Module['_npskit_set_mapping'](score, ts, comment); },
};
