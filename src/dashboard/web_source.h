// npskit dashboard: the browser edge. EM_JS shims named npskit_js_* over web/dashboard/source.js.
// [X] data: file picker and drop, any URL, collector paging + SSE (bytes pulled per frame)
// [X] URL hash read/write, clipboard, Blob downloads, canvas size × devicePixelRatio, clock
#pragma once
#include <cstdint>
#include <string>

namespace npskit::dashboard {

struct js_load_info {
    int id = 0;          // 0: no load yet; changes when a new load starts
    int kind = 0;        // 1 file, 2 url, 3 collector
    double total = 0;    // bytes expected (0 = unknown)
    double received = 0; // bytes arrived in the page so far
};

double web_fit_canvas();                       // resizes the canvas; returns devicePixelRatio
void web_canvas_size(int& width, int& height);
double web_now_ms();                           // Date.now()
double web_input_age_ms();                     // since the last pointer, key, wheel, touch or focus event
js_load_info web_load_info();
std::string web_load_text(int which);          // 0 name, 1 error
int web_pull_chunk(char* buffer, int capacity);  // > 0 bytes, 0 wait, -1 ended, -2 failed
void web_cancel_load(int id);                  // stop reading load `id` and drop its queued bytes
bool web_pull_event(std::string& out);         // next live SSE payload
int web_live_state(double& retry_in_ms);       // 0 off, 1 connecting, 2 live, 3 reconnecting
void web_open_url(const std::string& url);
void web_open_collector(const std::string& base, const std::string& key);
void web_pick_file();
bool web_take_hash(std::string& out);          // true once after each change (and at start)
void web_set_hash(const std::string& hash);    // replaceState: no hashchange event, no history entry
void web_set_clipboard(const char* text);
const char* web_get_clipboard();
void web_download(const std::string& name, const std::string& mime, const std::string& data);
bool web_prefers_dark();

}  // namespace npskit::dashboard
