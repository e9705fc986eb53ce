#include "web_source.h"

#include <emscripten.h>
#include <emscripten/html5.h>

#include <nlohmann/json.hpp>
#include <vector>

// clang-format off
EM_JS(double, npskit_js_fit_canvas, (), { return NpskitWeb.fitCanvas(); });
EM_JS(double, npskit_js_now_ms, (), { return Date.now(); });
EM_JS(double, npskit_js_input_age_ms, (), { return performance.now() - NpskitWeb.inputAt; });
EM_JS(void, npskit_js_load_info, (double* out), {
  const l = NpskitWeb.load;
  const v = l ? [l.id, l.kind, l.total, l.received, l.aggregate ? 1 : 0, l.answers || 0] : [0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 6; ++i) HEAPF64[(out >> 3) + i] = v[i];
});
EM_JS(int, npskit_js_load_text, (int which, char* buf, int cap), {
  const l = NpskitWeb.load;
  return NpskitWeb.writeString(l ? (which ? l.error : l.name) : "", buf, cap);
});
EM_JS(int, npskit_js_pull_chunk, (char* buf, int cap), { return NpskitWeb.pull(buf, cap); });
EM_JS(void, npskit_js_cancel_load, (int id), { NpskitWeb.cancel(id); });
EM_JS(int, npskit_js_pull_event, (char* buf, int cap), { return NpskitWeb.pullEvent(buf, cap); });
EM_JS(int, npskit_js_live_state, (double* retry), {
  const L = NpskitWeb.live;
  HEAPF64[retry >> 3] = L.state === 3 ? Math.max(0, L.retryAt - performance.now()) : 0;
  return L.state;
});
EM_JS(void, npskit_js_open_url, (const char* url), { NpskitWeb.openUrl(UTF8ToString(url)); });
EM_JS(void, npskit_js_open_collector, (const char* base, const char* key), {
  NpskitWeb.openCollector(UTF8ToString(base), UTF8ToString(key));
});
EM_JS(void, npskit_js_pick_file, (), { NpskitWeb.pickFile(); });
EM_JS(int, npskit_js_take_hash, (char* buf, int cap), {
  if (!NpskitWeb.hashChanged) return -1;
  const n = NpskitWeb.writeString(location.hash.replace(/^#/, ""), buf, cap);
  if (n >= 0) NpskitWeb.hashChanged = false;
  return n;
});
EM_JS(void, npskit_js_set_hash, (const char* hash), {
  const h = UTF8ToString(hash);
  if (location.hash.replace(/^#/, "") !== h) history.replaceState(null, "", h ? '#' + h : location.pathname + location.search);
});
EM_JS(void, npskit_js_keep_session_key, (const char* source, const char* key), {
  const k = UTF8ToString(key);
  NpskitWeb.keptKey = k ? [UTF8ToString(source), k] : null;
  try {
    if (k) sessionStorage.setItem("npskit.key", JSON.stringify(NpskitWeb.keptKey));
    else sessionStorage.removeItem("npskit.key");
  } catch (e) { /* storage disabled: the key lives in memory for this page only */ }
});
EM_JS(int, npskit_js_session_key, (const char* source, char* buf, int cap), {
  let kept = NpskitWeb.keptKey || null;
  try { kept = JSON.parse(sessionStorage.getItem("npskit.key") || "null") || kept; } catch (e) { /* memory only */ }
  const key = Array.isArray(kept) && kept[0] === UTF8ToString(source) ? String(kept[1]) : "";
  return NpskitWeb.writeString(key, buf, cap);
});
EM_JS(void, npskit_js_set_clipboard, (const char* text), {
  const t = UTF8ToString(text);
  NpskitWeb.clipboard = t;
  if (navigator.clipboard) navigator.clipboard.writeText(t).catch(() => {});
});
EM_JS(int, npskit_js_get_clipboard, (char* buf, int cap), { return NpskitWeb.writeString(NpskitWeb.clipboard, buf, cap); });
EM_JS(void, npskit_js_download, (const char* name, const char* mime, const char* data, int len), {
  NpskitWeb.download(UTF8ToString(name), UTF8ToString(mime), HEAPU8.slice(data, data + len));
});
EM_JS(int, npskit_js_prefers_dark, (), {
  return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 1 : 0;
});
EM_JS(void, npskit_js_follow_up_request, (const char* op, const char* base, const char* key, const char* id, const char* body), {
  NpskitWeb.followUpRequest(UTF8ToString(op), UTF8ToString(base), UTF8ToString(key), UTF8ToString(id), UTF8ToString(body));
});
EM_JS(int, npskit_js_pull_follow_up, (char* buf, int cap), { return NpskitWeb.pullFollowUp(buf, cap); });
EM_JS(int, npskit_js_page_follow_ups, (const char* source, char* buf, int cap), {
  return NpskitWeb.writeString(NpskitWeb.pageFollowUps(UTF8ToString(source)), buf, cap);
});
EM_JS(void, npskit_js_keep_page_follow_ups, (const char* source, const char* json), {
  NpskitWeb.keepPageFollowUps(UTF8ToString(source), UTF8ToString(json));
});
EM_JS(int, npskit_js_request, (const char* path), { return NpskitWeb.request(UTF8ToString(path)); });
EM_JS(int, npskit_js_take_response, (int id, char* buf, int cap), { return NpskitWeb.takeResponse(id, buf, cap); });
EM_JS(int, npskit_js_collector_call, (const char* method, const char* base, const char* path, const char* key, const char* if_match,
                                     const char* actor, const char* body), {
  return NpskitWeb.collectorCall(UTF8ToString(method), UTF8ToString(base), UTF8ToString(path), UTF8ToString(key),
    UTF8ToString(if_match), UTF8ToString(actor), UTF8ToString(body));
});
EM_JS(int, npskit_js_take_call, (int id, char* buf, int cap), { return NpskitWeb.takeCall(id, buf, cap); });
EM_JS(void, npskit_js_preview_definition, (const char* json), { NpskitWeb.previewDefinition(UTF8ToString(json)); });
EM_JS(void, npskit_js_place_preview, (int shown, double x, double y, double w, double h), { NpskitWeb.placePreview(shown, x, y, w, h); });
// clang-format on

namespace npskit::dashboard {

namespace {
// Calls a writeString-style shim, growing the buffer when JS asks for more.
template <typename F>
bool read_js_string(std::string& out, F&& call) {
    static std::vector<char> buffer(4096);
    int n = call(buffer.data(), static_cast<int>(buffer.size()));
    if (n < -1) {
        buffer.resize(static_cast<size_t>(-n) + 16);
        n = call(buffer.data(), static_cast<int>(buffer.size()));
    }
    if (n < 0) return false;
    out.assign(buffer.data(), static_cast<size_t>(n));
    return true;
}
}  // namespace

double web_fit_canvas() { return npskit_js_fit_canvas(); }
void web_canvas_size(int& width, int& height) { emscripten_get_canvas_element_size("#canvas", &width, &height); }
double web_input_age_ms() { return npskit_js_input_age_ms(); }
void web_place_preview(bool shown, float x, float y, float w, float h) { npskit_js_place_preview(shown ? 1 : 0, x, y, w, h); }
void web_set_clipboard(const char* text) { npskit_js_set_clipboard(text); }
const char* web_get_clipboard() {
    static std::string text;
    read_js_string(text, [](char* b, int c) { return npskit_js_get_clipboard(b, c); });
    return text.c_str();
}

namespace platform {

double monotonic_ms() { return emscripten_get_now(); }
double wall_ms() { return npskit_js_now_ms(); }
bool prefers_dark() { return npskit_js_prefers_dark() != 0; }

load_info current_load() {
    double v[6];
    npskit_js_load_info(v);
    return {static_cast<int>(v[0]), static_cast<int>(v[1]), v[2], v[3], v[4] != 0, v[5]};
}

std::string load_text(int which) {
    std::string out;
    read_js_string(out, [which](char* b, int c) { return npskit_js_load_text(which, b, c); });
    return out;
}

int pull_chunk(char* buffer, int capacity) { return npskit_js_pull_chunk(buffer, capacity); }
void cancel_load(int id) { npskit_js_cancel_load(id); }
void open_url(const std::string& url) { npskit_js_open_url(url.c_str()); }
void open_collector(const std::string& base, const std::string& key) { npskit_js_open_collector(base.c_str(), key.c_str()); }
void pick_file() { npskit_js_pick_file(); }

bool pull_event(std::string& out) {
    static std::vector<char> buffer(64 * 1024);
    int n = npskit_js_pull_event(buffer.data(), static_cast<int>(buffer.size()));
    if (n < 0) {
        buffer.resize(static_cast<size_t>(-n) + 16);
        n = npskit_js_pull_event(buffer.data(), static_cast<int>(buffer.size()));
    }
    if (n <= 0) return false;
    out.assign(buffer.data(), static_cast<size_t>(n));
    return true;
}

int live_connection(double& retry_in_ms) { return npskit_js_live_state(&retry_in_ms); }

bool take_hash(std::string& out) {
    return read_js_string(out, [](char* b, int c) { return npskit_js_take_hash(b, c); });
}
void set_hash(const std::string& hash) { npskit_js_set_hash(hash.c_str()); }
void keep_session_key(const std::string& source, const std::string& key) { npskit_js_keep_session_key(source.c_str(), key.c_str()); }
std::string session_key(const std::string& source) {
    std::string out;
    read_js_string(out, [&source](char* b, int c) { return npskit_js_session_key(source.c_str(), b, c); });
    return out;
}
void download(const std::string& name, const std::string& mime, const std::string& data) {
    npskit_js_download(name.c_str(), mime.c_str(), data.data(), static_cast<int>(data.size()));
}

void follow_up_request(const std::string& op, const std::string& base, const std::string& key, const std::string& id,
                       const std::string& body) {
    npskit_js_follow_up_request(op.c_str(), base.c_str(), key.c_str(), id.c_str(), body.c_str());
}
bool pull_follow_up(std::string& out) {
    return read_js_string(out, [](char* b, int c) { return npskit_js_pull_follow_up(b, c); });
}
std::string page_follow_ups(const std::string& source) {
    std::string out;
    read_js_string(out, [&source](char* b, int c) { return npskit_js_page_follow_ups(source.c_str(), b, c); });
    return out;
}
void keep_page_follow_ups(const std::string& source, const std::string& json) {
    npskit_js_keep_page_follow_ups(source.c_str(), json.c_str());
}
// The aggregate path. NpskitWeb.takeResponse: -1 while the request runs; then "1" + body or
// "0" + an error sentence, written as writeString does (-needed when the buffer is too small,
// and the answer stays for the next call).
int request(const std::string& path_query) { return npskit_js_request(path_query.c_str()); }
int take_response(int id, std::string& out) {
    static std::vector<char> buffer(64 * 1024);
    for (;;) {
        int n = npskit_js_take_response(id, buffer.data(), static_cast<int>(buffer.size()));
        if (n == -1) return 0;  // still running
        if (n < -1) {           // the buffer is too small: -needed
            buffer.resize(static_cast<size_t>(-n) + 16);
            continue;
        }
        // The page prefixes the text with "1" (a body) or "0" (an error sentence).
        out.assign(buffer.data() + 1, static_cast<size_t>(n > 0 ? n - 1 : 0));
        return n > 0 && buffer[0] == '1' ? 1 : -1;
    }
}

// The survey editor's calls. NpskitWeb.takeCall: -1 while it runs, then {"status","etag","body"}
// as JSON text, written as writeString does (-needed when the buffer is too small).
int collector_call(const call_desc& c) {
    return npskit_js_collector_call(c.method.c_str(), c.base.c_str(), c.path.c_str(), c.key.c_str(), c.if_match.c_str(), c.actor.c_str(),
                                    c.body.c_str());
}
bool take_collector_call(int id, call_answer& out) {
    std::string text;
    if (!read_js_string(text, [id](char* b, int c) { return npskit_js_take_call(id, b, c); })) return false;
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    out = call_answer{};
    if (!j.is_object()) return true;  // an unknown id: no answer
    if (j.contains("status") && j["status"].is_number_integer()) out.status = j["status"].get<int>();
    if (j.contains("etag") && j["etag"].is_string()) out.etag = j["etag"].get<std::string>();
    if (j.contains("body") && j["body"].is_string()) out.body = j["body"].get<std::string>();
    return true;
}
void preview_definition(const std::string& config_json) { npskit_js_preview_definition(config_json.c_str()); }

}  // namespace platform

}  // namespace npskit::dashboard
