// npskit widget: the JavaScript half of the shims (web_dom.cpp, web_io.cpp) and the boot.
// Everything here runs inside the bundle's closure (extern-pre.js): the only global is
// window.npskit. Every entry from the page or the browser into the wasm goes through `guard`,
// so no exception ever reaches the host page.

var npskitScript = Module["script"];  // document.currentScript, captured by extern-pre.js (never null there: it reads its dataset)

// Closure renames properties: everything the browser or the host page sees is quoted.
function npskitGuard(f) {
  return function () {
    try {
      return f.apply(null, arguments);
    } catch (e) {
      console.warn("npskit:", e);
    }
  };
}

// Text in and out of the wasm memory. The views are made at each use: the heap
// (src/widget/heap.cpp) grows with memory.grow, which detaches older views.
var npskitUtf8 = new TextEncoder(), npskitDecoder = new TextDecoder();
// The UTF-8 text at ptr, up to a NUL or `len` bytes.
function npskitStr(ptr, len) {
  var heap = new Uint8Array(wasmMemory.buffer), end = ptr;
  while (heap[end] && !(end - ptr >= len)) end++;
  return npskitDecoder.decode(heap.subarray(ptr, end));
}
// Writes s as UTF-8 and a NUL at ptr when that fits in cap bytes; returns its length in bytes.
function npskitPut(s, ptr, cap) {
  var bytes = npskitUtf8.encode(s), heap = new Uint8Array(wasmMemory.buffer);
  if (bytes.length < cap) {
    heap.set(bytes, ptr);
    heap[ptr + bytes.length] = 0;
  }
  return bytes.length;
}

var npskitCss =
  ".w{position:fixed;z-index:2147483647;bottom:20px;right:20px;width:420px;max-width:calc(100vw - 40px);box-sizing:border-box;padding:18px 18px 16px;border-radius:12px;" +
  "font:14px/1.45 system-ui,sans-serif;text-align:start;animation:npskit-in .18s ease-out;" +
  "color:#1f2328;background:#fff;border:1px solid #d0d7de;box-shadow:0 10px 30px #0000002e;--m:#57606a;--l:#d0d7de}" +
  ".dk{color:#e6edf3;background:#1c2128;border-color:#3d444d;--m:#9da7b3;--l:#545d68}" +
  "@media(prefers-color-scheme:dark){.a{color:#e6edf3;background:#1c2128;border-color:#3d444d;--m:#9da7b3;--l:#545d68}}" +
  ".bc{inset-inline:0;margin:0 auto}.c{inset:0;margin:auto;height:max-content}" +
  ".bd{position:fixed;inset:0;z-index:2147483646;background:#0007}" +
  ".w *{box-sizing:border-box;margin:0;font:inherit;color:inherit}" +
  ".q{font-weight:600;font-size:15px;padding-inline-end:32px}.t{margin-top:8px}" +
  ".x{position:absolute;top:8px;inset-inline-end:8px;width:32px;height:32px;padding:0;border:0;border-radius:6px;background:none;font-size:22px;line-height:1;cursor:pointer;color:var(--m)}" +
  ".x:hover,.g:hover{background:#8882}" +  // a grey veil: reads on light and dark
  ".s{display:grid;grid-template-columns:repeat(11,1fr);gap:4px;margin-top:14px}" +
  ".s button{height:36px;min-width:0;padding:0;border:1px solid var(--l);border-radius:6px;background:none;cursor:pointer;font-weight:600}" +
  ".s button:hover{background:var(--b);border-color:var(--b);color:var(--bt)}" +
  ".e{display:flex;justify-content:space-between;gap:8px;margin-top:6px;font-size:12px;color:var(--m)}" +
  "textarea{display:block;width:100%;min-height:76px;margin-top:12px;padding:8px 10px;border:1px solid var(--l);border-radius:6px;background:none;resize:vertical}" +
  "textarea::placeholder{color:var(--m);opacity:1}" +
  ".r{display:flex;flex-wrap:wrap;justify-content:flex-end;gap:8px;margin-top:12px}" +
  ".p,.g{display:inline-flex;align-items:center;height:36px;padding:0 14px;border:1px solid var(--b);border-radius:6px;font-weight:600;cursor:pointer;text-decoration:none}" +
  ".p{background:var(--b);color:var(--bt)}.g{background:none;border-color:var(--l)}" +
  ":focus-visible{outline:2px solid var(--b);outline-offset:2px}" +
  "@media(pointer:coarse){.s button,.p,.g{height:44px}.x{width:44px;height:44px;top:4px;inset-inline-end:4px}}" +
  "@media(max-width:480px){.w{inset:auto 0 0;width:auto;max-width:none;margin:0;border-radius:14px 14px 0 0;border-width:1px 0 0}}" +
  "@media(max-width:480px) and (pointer:coarse){.s{grid-template-columns:repeat(6,1fr)}}" +
  "@keyframes npskit-in{from{opacity:0;transform:translateY(10px)}}" +
  "@media(prefers-reduced-motion:reduce){.w{animation:none}}";

var npskitDom = {
  h: [null], host: null, focusWasOurs: false,
  mount: function (position, theme, rtl, brand, brandText, lang) {
    var d = npskitDom, host = document.createElement("npskit-prompt"), root, sheet, card;
    d.unmount();
    host.style.setProperty("all", "initial", "important");
    root = host.attachShadow({ "mode": "open" });
    // npskitCss is used once: closure inlines a constant at each use (the 2.9 KB string twice).
    var modern = "adoptedStyleSheets" in root && typeof CSSStyleSheet == "function";
    sheet = modern ? new CSSStyleSheet() : document.createElement("style");
    sheet[modern ? "replaceSync" : "append"](npskitCss);  // <style>.append(text): a text node
    if (modern) root["adoptedStyleSheets"] = [sheet];
    else root.appendChild(sheet);
    if (position == 2) root.appendChild(document.createElement("div")).className = "bd";
    card = root.appendChild(document.createElement("div"));
    card.className = "w " + ["br", "bc", "c"][position] + " " + ["a", "l", "dk"][theme];
    card.setAttribute("role", "dialog");
    if (position == 2) {
      card.setAttribute("aria-modal", "true");
      // The modal keeps focus: when it leaves the card (Tab past the end), it comes back.
      card.addEventListener("focusout", function (e) {
        if (!card.contains(e.relatedTarget)) setTimeout(function () { card.querySelector("button").focus(); });  // detached: no-op
      });
    }
    card.setAttribute("dir", rtl ? "rtl" : "ltr");
    card.setAttribute("lang", lang);
    card.style.setProperty("--b", brand);
    card.style.setProperty("--bt", brandText);
    (document.body || document.documentElement).appendChild(host);
    d.host = host;
    d.h = [null, card];
    return 1;
  },
  unmount: function () {
    var d = npskitDom;
    if (d.host) d.host.remove();
    d.host = null;
    d.h = [null];
  },
  on: function (h, type, code) {
    npskitDom.h[h].addEventListener(type, npskitGuard(function (e) {
      var key = 0;
      if (type == "keydown") {
        if (e.ctrlKey || e.metaKey || e.altKey) return;
        // The keys the prompt uses, as their key codes (Escape 27, End 35, Home 36, arrows 37-40;
        // a digit by its character, the same on the number row and the keypad).
        key = /^(Escape|End|Home|Arrow\w+)$/.test(e.key) ? e.keyCode : /^[0-9]$/.test(e.key) ? e.key.charCodeAt(0) : 0;
        if (!key) return;
      }
      if (_npskit_on_ui(code, key)) {
        e.preventDefault();
        e.stopPropagation();
      }
    }));
  },
  clear: function (h) {
    var d = npskitDom, e = d.h[h];
    d.focusWasOurs = !!(d.host && d.host.shadowRoot.activeElement);
    while (e.firstChild) e.removeChild(e.firstChild);
    d.h.length = h + 1;
  },
  // Never steal focus from a field the user is typing in; after a step change, keep focus in
  // the prompt only if it was there.
  focus: function (h, onlyIfOurs) {
    var d = npskitDom, a = document.activeElement, e = d.h[h];
    if (!e) return;
    if (onlyIfOurs ? !d.focusWasOurs : a && a != d.host && (a.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName))) return;
    e.focus({ "preventScroll": true });
  }
};

var npskitIo = {
  memory: {}, url: "", headers: {}, hasHeaders: false, timers: {}, listening: false, warned: false,
  get: function (k) {
    try {
      var v = window["localStorage"].getItem(k);
      if (v != null) return v;
    } catch (e) {}
    return npskitIo.memory[k];
  },
  set: function (k, v) {
    var m = npskitIo.memory;
    if (v == null) delete m[k];
    else m[k] = v;
    try {
      if (v == null) window["localStorage"].removeItem(k);
      else window["localStorage"].setItem(k, v);
    } catch (e) {
      // Blocked or full: answers still go out from this page's memory; say so once.
      if (!npskitIo.warned) console.warn("npskit: localStorage unavailable or full: answers are kept in this page only");
      npskitIo.warned = true;
    }
  },
  hide: npskitGuard(function (e) {
    if (e.type == "pagehide" || document.visibilityState == "hidden") _npskit_on_wake(4);  // wake_page_hide
  }),
  online: npskitGuard(function () {
    _npskit_on_wake(1);  // back online: what waits goes now (timer_delivery in widget.h)
  }),
  transport: function (url, headers, on) {
    var io = npskitIo, verb = on ? "addEventListener" : "removeEventListener";
    io.url = url;
    // The wasm writes "" or a JSON object with at least one member (json_text's writer).
    io.headers = JSON.parse(headers || "{}");
    io.hasHeaders = !!headers;
    if (!on) for (var t in io.timers) clearTimeout(io.timers[t]);
    if (!!on == io.listening) return;
    io.listening = !!on;
    document[verb]("visibilitychange", io.hide);
    window[verb]("pagehide", io.hide);
    window[verb]("online", io.online);
  },
  // serial 0: a beacon on page hide (no answer to wait for): sendBeacon, or fetch keepalive when
  // extra headers are needed. Otherwise the queue hears back with the status and Retry-After.
  post: function (serial, body, beacon) {
    var io = npskitIo, headers = Object.assign({}, io.headers), sent = false;
    try {
      sent = beacon && !io.hasHeaders && navigator.sendBeacon(io.url, body);
    } catch (e) {}
    if (sent) return;
    headers["Content-Type"] = beacon ? "text/plain" : "application/json";
    var done = npskitGuard(function (status, wait) {
      if (serial) _npskit_on_sent(serial, status, wait);
    });
    // fetch never throws: a bad header or URL, an oversized keepalive body reject the promise.
    fetch(io.url, { "method": "POST", "body": body, "headers": headers, "keepalive": true, "credentials": "omit", "cache": "no-store" }).then(function (r) {
      // Retry-After as ms in 0..1 day: seconds or an HTTP date; garbage (NaN) or a past date is
      // absent (-1). The queue waits at least this, never less than its own backoff.
      var ra = r.headers.get("Retry-After"), wait = -1;
      if (ra) wait = /^\d+$/.test(ra) ? ra * 1000 : Date.parse(ra) - Date.now();
      done(r.status, wait >= 0 ? Math.min(wait, 864e5) : -1);
    }, function () {
      done(0, -1);
    });
  },
  timer: function (code, ms) {
    var t = npskitIo.timers;
    clearTimeout(t[code]);
    if (ms >= 0) t[code] = setTimeout(npskitGuard(function () { _npskit_on_wake(code); }), ms);
  },
  // A JS value as tagged text (src/core/json_text.h): what JSON.stringify would keep, without
  // needing a JSON parser in the wasm. Cycles and depth beyond 16 become null.
  encode: function (v, parents) {
    var t, out = "", n = 0, k;
    if (v && typeof v.toJSON == "function") v = v.toJSON();
    t = typeof v;
    if (t == "string") return "s" + v.replace(/[\x00\x01]/g, "") + "\x01";
    if (t == "number") return isFinite(v) ? "n" + v + "\x01" : "z\x01";
    if (t == "boolean") return (v ? "t" : "f") + "\x01";
    if (!v || t != "object" || parents.length > 15 || parents.includes(v)) return "z\x01";
    parents = parents.concat([v]);
    if (Array.isArray(v)) {
      for (k = 0; k < v.length; k++) out += npskitIo.encode(v[k], parents);
      return "a" + v.length + "\x01" + out;
    }
    for (k of Object.keys(v)) {  // own enumerable keys, as JSON.stringify
      if (v[k] === undefined || typeof v[k] == "function") continue;
      out += "k" + k.replace(/[\x00\x01]/g, "") + "\x01" + npskitIo.encode(v[k], parents);
      n++;
    }
    return "o" + n + "\x01" + out;
  },
  call: npskitGuard(function (name, args) {
    var json = npskitIo.encode(args, []), n, a, pn, pa;
    n = npskitUtf8.encode(name).length + 1;
    a = npskitUtf8.encode(json).length + 1;
    pn = _malloc(n);
    pa = _malloc(a);
    npskitPut(name, pn, n);
    npskitPut(json, pa, a);
    try {
      _npskit_on_command(pn, pa);
    } finally {
      _free(pn);
      _free(pa);
    }
  }),
  // Installs window.npskit, applies the script tag's data-* attributes, replays queued calls.
  boot: function () {
    var queued = (window["npskit"] && window["npskit"]["q"]) || [], i;
    if (window["npskit"] && window["npskit"]["loaded"]) return;  // a second copy of the script: the first one serves
    function npskit(name) {
      npskitIo.call(String(name), [].slice.call(arguments, 1));
    }
    npskit["loaded"] = true;
    window["npskit"] = npskit;
    npskitIo.call("init", [Object.assign({}, npskitScript.dataset)]);
    for (i = 0; i < queued.length; i++) npskit.apply(null, queued[i]);
  }
};
