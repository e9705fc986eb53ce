// npskit widget, browser side: clock, random ids, storage, network, timers, page lifecycle.
//
// [X] ids from crypto.getRandomValues (UUID v4)
// [X] localStorage with an in-memory fallback (blocked, full or missing storage: works for the session)
// [X] POST JSON with fetch (keepalive, no credentials, optional extra headers); Retry-After read
// [X] page hide: sendBeacon (text/plain, no preflight), or fetch keepalive when headers are needed
// [X] timers for retries, delayed shows and the "1 then 0" chord; all cleared by destroy
// [X] no cookie, no global besides window.npskit, no exception into the page
#include "widget.h"

#include <emscripten/emscripten.h>

// clang-format off
EM_JS(double, npskit_js_now, (), { return Date.now(); });
EM_JS(unsigned, npskit_js_random, (), { return crypto.getRandomValues(new Uint32Array(1))[0] >>> 0; });
EM_JS(void, npskit_js_uuid, (char* buf), {
  var b = crypto.getRandomValues(new Uint8Array(16)), s = "";
  b[6] = b[6] & 15 | 64;
  b[8] = b[8] & 63 | 128;
  for (var i = 0; i < 16; i++) s += (i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "") + (b[i] + 256).toString(16).slice(1);
  npskitPut(s, buf, 37);
});
EM_JS(void, npskit_js_now_iso, (char* buf), { npskitPut(new Date().toISOString(), buf, 32); });
EM_JS(int, npskit_js_get, (const char* key, char* buf, int cap), {
  var v = npskitIo.get(npskitStr(key));
  if (v == null) return 0;
  return npskitPut(v, buf, cap);
});
EM_JS(void, npskit_js_set, (const char* key, const char* value), { npskitIo.set(npskitStr(key), value ? npskitStr(value) : null); });
EM_JS(int, npskit_js_env, (int what, char* buf, int cap), {
  var v = what ? (navigator.language || "") : location.pathname;
  return npskitPut(v, buf, cap);
});
EM_JS(void, npskit_js_transport, (const char* endpoint, int endpoint_len, const char* headers, int on), {
  npskitIo.transport(npskitStr(endpoint, endpoint_len), npskitStr(headers), on);
});
EM_JS(void, npskit_js_post, (int serial, const char* body, int beacon), { npskitIo.post(serial, npskitStr(body), beacon); });
EM_JS(void, npskit_js_timer, (int code, int ms), { npskitIo.timer(code, ms); });
EM_JS(void, npskit_js_warn, (const char* text), { console.warn("npskit: " + npskitStr(text)); });
EM_JS(void, npskit_js_boot, (), { npskitIo.boot(); });
// clang-format on

extern "C" void npskit_js_boot();

// Reads data-* attributes, installs window.npskit, replays queued calls. The only static
// constructor (nothing else has one), run by the runtime as soon as the exports are set: no
// main() export and call.
__attribute__((constructor)) static void npskit_boot() { npskit_js_boot(); }
