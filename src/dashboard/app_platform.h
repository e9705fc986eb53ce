// npskit dashboard: all the app layer (app.cpp) asks of the browser, and nothing more.
// Selected at link time, never through a table: web_source.cpp defines these over
// web/dashboard/source.js in the bundle; natively the test that links the app layer defines them
// (tests/unit-dashboard_app.cpp: a fake clock and a fake page that records every call).
#pragma once
#include <string>

namespace npskit::dashboard::platform {

struct load_info {
    int id = 0;           // 0: no load yet; changes when a new load starts
    int kind = 0;         // source_kind: 1 file, 2 url, 3 collector
    double total = 0;     // bytes expected (0 = unknown)
    double received = 0;  // bytes arrived in the page so far
    // The aggregate path: a collector with more answers than the row limit sends no rows; the
    // app asks it for histograms and comment pages instead (request / take_response).
    bool aggregate = false;
    double answers = 0;  // the collector's answers when it was opened (aggregate path)
};

double monotonic_ms();  // performance.now(): durations, the stall clock, re-score pacing
double wall_ms();       // Date.now(): "the last 30 days", the importer's default timestamp
bool prefers_dark();

// The page reads sources; the app layer pulls their bytes.
load_info current_load();
std::string load_text(int which);            // 0 name, 1 error
int pull_chunk(char* buffer, int capacity);  // > 0 bytes, 0 wait, -1 ended, -2 failed
void cancel_load(int id);                    // stop reading load `id` and drop its queued bytes
void open_url(const std::string& url);
void open_collector(const std::string& base, const std::string& key);  // base "" = this page's
void pick_file();

// Live updates (collector SSE): one schema-v1 record per event.
bool pull_event(std::string& out);
int live_connection(double& retry_in_ms);  // live_state: 0 off, 1 connecting, 2 live, 3 reconnecting

bool take_hash(std::string& out);        // true once after each change (and at start)
void set_hash(const std::string& hash);  // replaceState: no hashchange event, no history entry
// The read key, once read from #key=, lives in sessionStorage (this tab, until it closes) with
// the source it opens: never in the address bar again. "" = none.
void keep_session_key(const std::string& source, const std::string& key);
std::string session_key(const std::string& source);  // the key kept for this source, or ""
void download(const std::string& name, const std::string& mime, const std::string& data);

// Follow-up list (issue 15). Collector sources: op "list" is GET /v1/follow-ups (the read key),
// op "patch" PATCH /v1/responses/{id}/follow-up with `body` (the admin key, in the header only);
// each answer comes back through pull_follow_up() as {"op","id","status":HTTP status (0 = no
// answer),"body":"…"}. Other sources keep their statuses in the page: localStorage under `source`.
void follow_up_request(const std::string& op, const std::string& base, const std::string& key, const std::string& id,
                       const std::string& body);
bool pull_follow_up(std::string& out);
std::string page_follow_ups(const std::string& source);  // the JSON kept for `source`, or ""
void keep_page_follow_ups(const std::string& source, const std::string& json);
// The aggregate path: a GET of `path_query` ("/v1/aggregate?…") on the open collector, with its
// key. request gives an id (> 0); take_response is 0 while it runs, then once 1 with the body or
// -1 with a sentence in `out` (the id is forgotten after that).
int request(const std::string& path_query);
int take_response(int id, std::string& out);

// The survey editor (issue 16): one request to the collector at `base` ("" = this page's). The
// key goes in the Authorization header only (the read key to list, the admin key to PUT).
struct call_desc {
    std::string method, base, path, key;
    std::string if_match;  // "" = none
    std::string actor;     // X-Npskit-Actor ("" = none)
    std::string body;      // a PUT's application/json body
};
struct call_answer {
    int status = 0;  // 0 = no answer (network, CORS)
    std::string etag, body;
};
int collector_call(const call_desc& call);           // an id > 0
bool take_collector_call(int id, call_answer& out);  // false while it runs; then true, once
// The preview (web/dashboard/preview.*): the real widget restarted with this config, shown at once.
void preview_definition(const std::string& config_json);

}  // namespace npskit::dashboard::platform
