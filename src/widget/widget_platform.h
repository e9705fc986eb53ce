// npskit widget: the browser, and all of it the command layer (main.cpp, prompt.cpp) sees.
// Selected at link time, never through a table or a virtual call (the bundle's weight): in the
// bundle web_dom.cpp and web_io.cpp define the npskit_js_* shims with EM_JS; natively
// tests/unit-widget_commands.cpp defines them over a fake page. JavaScript calls the
// npskit_on_* callbacks (main.cpp) back.
#pragma once
#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>  // EMSCRIPTEN_KEEPALIVE
#else
#define EMSCRIPTEN_KEEPALIVE
#endif

extern "C" {
// DOM: handles index a JS table; 0 is "none". Text is always set through text nodes.
// Text arguments are pointer + length where they may be views (tagged text has no NUL).
int npskit_js_mount(int position, int theme, int rtl, const char* brand, int brand_len, const char* brand_text, const char* lang);
void npskit_js_unmount();
int npskit_js_el(int parent, const char* tag, const char* cls);
void npskit_js_attr(int h, const char* name, const char* value, int len);
void npskit_js_text(int h, const char* text, int len);
void npskit_js_on(int h, const char* type, int code);
void npskit_js_clear(int h);
void npskit_js_focus(int h, int only_if_ours);
int npskit_js_value(int h, char* buf, int cap);
// I/O
double npskit_js_now();
unsigned npskit_js_random();
void npskit_js_uuid(char* buf37);
void npskit_js_now_iso(char* buf32);  // the time as RFC 3339 (Date.prototype.toISOString)
int npskit_js_get(const char* key, char* buf, int cap);
void npskit_js_set(const char* key, const char* value);  // nullptr removes the key
int npskit_js_env(int what, char* buf, int cap);         // 0 = pathname, 1 = navigator.language
void npskit_js_transport(const char* endpoint, int endpoint_len, const char* headers_json, int on);
void npskit_js_post(int serial, const char* body, int beacon);  // serial 0: a beacon, no answer
void npskit_js_timer(int code, int ms);                         // ms < 0 cancels
void npskit_js_warn(const char* text);                          // console.warn("npskit: " + text)
}

// Callbacks from JS (main.cpp).
extern "C" {
// window.npskit(name, …args): the arguments as an array in tagged text (json_text.h).
void npskit_on_command(const char* name, const char* args_tagged);
int npskit_on_ui(int code, int key);                                 // a DOM event of the prompt (ui_code)
void npskit_on_sent(int serial, int status, double retry_after_ms);  // a POST's answer
void npskit_on_wake(int code);                                       // a timer fired, or the page is being hidden (timer_code)
}
